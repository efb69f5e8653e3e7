/**
 * The configuration of each piece, written into the state directory on every
 * `cluster:up`: Patroni's YAML per member (keys as in Patroni's "YAML
 * Configuration Settings" and its postgres0.yml example), etcd's flags, and
 * HAProxy's configuration (after Patroni's haproxy.cfg example).
 */
import {
  POSTGRES_MEMBERS,
  HTTPS_PASSTHROUGH_SOURCE,
  PATRONI_NAMESPACE,
  PATRONI_SCOPE,
  type ClusterPorts,
  type PostgresMemberName,
  type RiposteProcessSpec,
  type StateLayout,
} from './topology.js';

export interface ClusterSecrets {
  superuserPassword: string;
  replicationPassword: string;
  rewindPassword: string;
  /** Basic auth of Patroni's unsafe REST endpoints (switchover, restart, config). */
  restApiPassword: string;
  ripostePassword: string;
}

/**
 * Patroni's dynamic settings, written to etcd when the cluster is first
 * bootstrapped. `synchronous_mode`: a commit is acknowledged once a standby
 * has it, and only that standby (or the old leader) may be promoted, so an
 * acknowledged commit survives the loss of the primary.
 * `primary_start_timeout: 0`: a crashed primary is failed over at once
 * rather than restarted in place (safe here: the synchronous standby has
 * every acknowledged commit). `loop_wait` + 2 × `retry_timeout` ≤ `ttl`, as
 * Patroni requires.
 */
export const PATRONI_DCS = {
  ttl: 20,
  loop_wait: 5,
  retry_timeout: 5,
  maximum_lag_on_failover: 1048576,
  primary_start_timeout: 0,
  synchronous_mode: true,
  synchronous_mode_strict: false,
  synchronous_node_count: 1,
} as const;

/** PostgreSQL parameters every member gets (the rest stay PostgreSQL's and Patroni's defaults). */
export const POSTGRES_PARAMETERS = {
  max_connections: 200,
  shared_buffers: '128MB',
  wal_level: 'replica',
  hot_standby: 'on',
  max_wal_senders: 10,
  max_replication_slots: 10,
  wal_log_hints: 'on',
  synchronous_commit: 'on',
  password_encryption: 'scram-sha-256',
} as const;

/** A YAML scalar: JSON's double-quoted strings are valid YAML, so paths and passwords need no escaping rules of their own. */
const scalar = (value: string | number | boolean): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

const mapping = (entries: Record<string, string | number | boolean>, indent: string): string =>
  Object.entries(entries)
    .map(([key, value]) => `${indent}${key}: ${scalar(value)}`)
    .join('\n');

export interface PatroniConfigInput {
  member: PostgresMemberName;
  layout: StateLayout;
  ports: ClusterPorts;
  secrets: ClusterSecrets;
  postgresBinDir: string;
}

export function patroniConfig({ member, layout, ports, secrets, postgresBinDir }: PatroniConfigInput): string {
  const index = POSTGRES_MEMBERS.indexOf(member);
  const paths = layout.member(member);
  const postgresAddress = `127.0.0.1:${ports.postgres[index]}`;
  const restAddress = `127.0.0.1:${ports.patroniRest[index]}`;
  return `# Written by cluster:up for member ${member}; edits are replaced on the next cluster:up.
scope: ${scalar(PATRONI_SCOPE)}
namespace: ${scalar(PATRONI_NAMESPACE)}
name: ${scalar(member)}

log:
  level: INFO

restapi:
  listen: ${restAddress}
  connect_address: ${restAddress}
  authentication:
    username: patroni
    password: ${scalar(secrets.restApiPassword)}

etcd3:
  hosts: 127.0.0.1:${ports.etcdClient}

bootstrap:
  dcs:
${mapping(PATRONI_DCS, '    ')}
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
${mapping(POSTGRES_PARAMETERS, '        ')}
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums

postgresql:
  listen: ${postgresAddress}
  connect_address: ${postgresAddress}
  data_dir: ${scalar(paths.data)}
  bin_dir: ${scalar(postgresBinDir)}
  pgpass: ${scalar(paths.pgpass)}
  authentication:
    superuser:
      username: postgres
      password: ${scalar(secrets.superuserPassword)}
    replication:
      username: replicator
      password: ${scalar(secrets.replicationPassword)}
    rewind:
      username: rewind_user
      password: ${scalar(secrets.rewindPassword)}
  parameters:
    unix_socket_directories: ${scalar(paths.dir)}
  pg_hba:
    - local all all peer
    - host all all 127.0.0.1/32 scram-sha-256
    - host replication replicator 127.0.0.1/32 scram-sha-256

tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
`;
}

export function etcdArguments(layout: StateLayout, ports: ClusterPorts): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=riposte-etcd-1',
    `--data-dir=${layout.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=riposte-etcd-1=${peer}`,
    '--initial-cluster-state=new',
    '--initial-cluster-token=riposte-cluster',
    '--auto-compaction-retention=1',
    '--logger=zap',
  ];
}

export function haproxyConfig(ports: ClusterPorts, apiProcesses: readonly RiposteProcessSpec[]): string {
  const postgresServers = POSTGRES_MEMBERS.map(
    (member, index) => `    server ${member} 127.0.0.1:${ports.postgres[index]} maxconn 200 check port ${ports.patroniRest[index]}`,
  );
  const httpServers = apiProcesses.map((api) => `    server ${api.name} 127.0.0.1:${api.httpPort} check`);
  const httpsServers = apiProcesses.map(
    (api) => `    server ${api.name} 127.0.0.1:${api.httpsPort} check port ${api.httpPort} source ${HTTPS_PASSTHROUGH_SOURCE}`,
  );
  return `# Written by cluster:up; edits are replaced on the next cluster:up.
# In the foreground (-db), HAProxy writes server state changes (a member or process going up or down) on stderr;
# no request is logged.
global
    maxconn 4000

defaults
    mode tcp
    retries 2
    timeout connect 4s
    timeout client 30m
    timeout server 30m
    timeout check 5s

listen stats
    mode http
    bind 127.0.0.1:${ports.haproxyStats}
    stats enable
    stats uri /

# Writes: only the member whose Patroni answers 200 on /primary (the leader, running as primary) is up.
# on-marked-down shutdown-sessions: connections to a demoted primary are cut, not left writing to nowhere.
listen postgres_primary
    bind 127.0.0.1:${ports.postgresWrite}
    option httpchk
    http-check send meth OPTIONS uri /primary
    http-check expect status 200
    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
${postgresServers.join('\n')}

# The API processes' HTTP: X-Forwarded-For carries the client (Riposte trusts 127.0.0.1 as its proxy).
frontend riposte_http
    mode http
    bind 127.0.0.1:${ports.riposteHttp}
    option forwardfor
    timeout client 130s
    timeout http-request 20s
    # Below Riposte's keep-alive timeout (72 s), so Riposte never closes a connection HAProxy is about to reuse.
    timeout http-keep-alive 60s
    default_backend riposte_api_http

backend riposte_api_http
    mode http
    balance roundrobin
    option redispatch
    timeout server 130s
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 1
${httpServers.length > 0 ? httpServers.join('\n') : '    # no API process'}

# The API processes' HTTPS, passed through: Riposte terminates TLS and picks each host's certificate by SNI.
# HAProxy connects from ${HTTPS_PASSTHROUGH_SOURCE}, which Riposte does not trust as a proxy.
frontend riposte_https
    mode tcp
    bind 127.0.0.1:${ports.riposteHttps}
    default_backend riposte_api_https

backend riposte_api_https
    mode tcp
    balance roundrobin
    option redispatch
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 1
${httpsServers.length > 0 ? httpsServers.join('\n') : '    # no API process'}
`;
}
