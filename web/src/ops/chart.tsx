import { useI18n } from '../i18n/i18n.js';
import type { CompletionPointWire as CompletionPoint } from '../../../src/modules/web-console/ops-console.schema.js';

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { left: 44, right: 16, top: 16, bottom: 32 };

/**
 * Progress (targets flagged) and completion (targets who set a new password)
 * over time, as a share of the campaign's targets. Plain SVG, scaled to its
 * box; the summary is its accessible name.
 */
export function CompletionChart(props: { points: CompletionPoint[]; total: number }) {
  const { t, dateTime } = useI18n();
  const points = props.points;
  const last = points[points.length - 1];
  const percent = (value: number) => (props.total === 0 ? 0 : Math.min(100, (value / props.total) * 100));
  const summary =
    last === undefined
      ? t('ops.chart.empty')
      : t('ops.chart.summary', {
          flagged: Math.floor(percent(last.flagged)),
          changed: Math.floor(percent(last.changed)),
          at: dateTime(last.at),
        });
  const times = points.map((point) => Date.parse(point.at));
  const start = Math.min(...times);
  const end = Math.max(...times);
  const span = Math.max(1, end - start);
  const x = (time: number) => PAD.left + ((time - start) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (value: number) => PAD.top + (1 - percent(value) / 100) * (HEIGHT - PAD.top - PAD.bottom);
  const path = (pick: (point: CompletionPoint) => number) =>
    points.map((point, index) => `${index === 0 ? 'M' : 'L'}${x(Date.parse(point.at)).toFixed(1)},${y(pick(point)).toFixed(1)}`).join(' ');
  const gridValues = [0, 25, 50, 75, 100];
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMidYMid meet"
        data-testid="completion-chart"
      >
        {gridValues.map((value) => {
          const gridY = PAD.top + (1 - value / 100) * (HEIGHT - PAD.top - PAD.bottom);
          return (
            <g key={value} className="chart__grid">
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={gridY} y2={gridY} />
              <text x={PAD.left - 8} y={gridY + 4} textAnchor="end">
                {value}%
              </text>
            </g>
          );
        })}
        {points.length === 0 ? null : (
          <>
            <path className="chart__line chart__line--flagged" d={path((point) => point.flagged)} />
            <path className="chart__line chart__line--changed" d={path((point) => point.changed)} />
            {points.length === 1 || last === undefined ? null : (
              <>
                <circle className="chart__dot chart__dot--flagged" cx={x(Date.parse(last.at))} cy={y(last.flagged)} r={4} />
                <circle className="chart__dot chart__dot--changed" cx={x(Date.parse(last.at))} cy={y(last.changed)} r={4} />
              </>
            )}
            <text className="chart__axis" x={PAD.left} y={HEIGHT - 8}>
              {dateTime(new Date(start).toISOString())}
            </text>
            <text className="chart__axis" x={WIDTH - PAD.right} y={HEIGHT - 8} textAnchor="end">
              {dateTime(new Date(end).toISOString())}
            </text>
          </>
        )}
      </svg>
      <figcaption className="legend">
        <span className="legend__item legend__item--flagged">{t('ops.chart.flagged')}</span>
        <span className="legend__item legend__item--changed">{t('ops.chart.changed')}</span>
      </figcaption>
    </figure>
  );
}
