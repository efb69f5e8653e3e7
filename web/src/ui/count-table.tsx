import { useI18n } from '../i18n/i18n.js';

/** One row of a `CountTable`: its heading, then one count per column. */
export interface CountRow {
  key: string | number;
  label: string;
  counts: readonly number[];
}

/** A captioned table of counts: a heading per row, numbers right-aligned in the locale's format. */
export function CountTable(props: { caption: string; rowHeading: string; columns: readonly string[]; rows: readonly CountRow[] }) {
  const { number } = useI18n();
  return (
    <div className="table-wrap">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{props.rowHeading}</th>
            {props.columns.map((column) => (
              <th key={column} scope="col" className="num">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {row.counts.map((count, index) => (
                <td key={props.columns[index] ?? index} className="num">
                  {number(count)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
