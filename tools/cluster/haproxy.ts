import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Cgroup } from './cgroups.js';
import { FatalError, waitFor } from './exec.js';
import type { Journal } from './journal.js';
import type { Host } from './network.js';
import { launch, type Proc } from './procs.js';

export const LB_PORT = 8080;
export const API_PORT = 5000;
const BACKEND = 'api';

export type LbMode = 'http' | 'tcp';

export interface HaproxyOptions {
  host: Host;
  dir: string;
  cgroup: Cgroup;
  /** Every api host that may ever serve; the ones not in use are put in maintenance. */
  servers: Host[];
  mode: LbMode;
}

/**
 * HAProxy 2.6 in front of the api processes.
 *
 * - Health: `GET /readyz` every 500 ms; one failed check takes a server out (so a draining
 *   server, whose /readyz turns 503 at once, stops getting requests within about half a
 *   second), two good ones bring it back.
 * - Retries: only when the connection to a server could not be made (`retry-on conn-failure`),
 *   and then on another server (`option redispatch 1`). A request that reached a server is
 *   never sent again, since a POST such as new_order must not run twice; clients retry those
 *   themselves, with an Idempotency-Key.
 * - HTTP mode by default: requests are balanced one by one over the client's keep-alive
 *   connections (in TCP mode a connection and all its requests stick to one server, which
 *   also keeps a draining server's clients on it). `leastconn` sends each request to the server
 *   with the fewest in flight, which evens out the stalls of CPU-capped servers.
 * - One thread: the load balancer's CPU stays small and easy to account.
 */
export class Haproxy {
  proc: Proc | null = null;
  readonly socket: string;

  constructor(readonly opts: HaproxyOptions, private readonly journal: Journal) {
    this.socket = `${opts.dir}/haproxy.sock`;
  }

  get url(): string {
    return `http://${this.opts.host.ip}:${LB_PORT}`;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const servers = o.servers
      .map((h) => `  server ${h.name} ${h.ip}:${API_PORT} check`)
      .join('\n');
    writeFileSync(`${o.dir}/haproxy.cfg`, `global
  nbthread 1
  maxconn 4000
  stats socket ${this.socket} mode 600 level admin

defaults
  mode ${o.mode}
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout check 2s
  ${o.mode === 'http' ? 'timeout http-keep-alive 60s' : ''}
  retries 3
  option redispatch 1
  ${o.mode === 'http' ? 'retry-on conn-failure' : ''}

frontend fe
  bind ${o.host.ip}:${LB_PORT}
  default_backend ${BACKEND}

backend ${BACKEND}
  balance leastconn
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host lb
  http-check expect status 200
  default-server inter 500ms fastinter 250ms downinter 500ms fall 1 rise 2
${servers}
`);
    this.proc = launch({
      label: 'haproxy',
      cmd: 'haproxy',
      args: ['-f', `${o.dir}/haproxy.cfg`, '-db'],
      env: { PATH: process.env.PATH },
      host: o.host,
      cgroup: o.cgroup,
      logFile: `${o.dir}/haproxy.log`,
    }, this.journal);
    await waitFor('haproxy to start', 10_000, async () => {
      if (!this.proc?.alive) throw new FatalError(`haproxy exited:\n${this.proc?.logTail(15)}`);
      await this.command('show info');
      return true;
    }, 100);
  }

  /** One command on the runtime API (the admin socket). */
  command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.socket);
      let out = '';
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.end(cmd + '\n'));
      sock.on('data', (chunk: string) => (out += chunk));
      sock.on('end', () => resolve(out));
      sock.on('error', reject);
      sock.setTimeout(5000, () => sock.destroy(new Error(`haproxy runtime API: no answer to "${cmd}"`)));
    });
  }

  /** Each api server's row of `show stat` (status, scur, eresp, econ, wretr, wredis...). */
  async serverStats(): Promise<Map<string, Record<string, string>>> {
    const csv = await this.command('show stat');
    const lines = csv.split('\n').filter(Boolean);
    const header = (lines[0] ?? '').replace(/^# /, '').split(',');
    const out = new Map<string, Record<string, string>>();
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      const row = Object.fromEntries(header.map((h, i) => [h, f[i] ?? '']));
      if (row['pxname'] === BACKEND && row['svname'] !== 'BACKEND' && row['svname'] !== 'FRONTEND') out.set(row['svname'] ?? '', row);
    }
    return out;
  }

  /** Each server's state as HAProxy sees it: UP, DOWN, MAINT, "UP 1/2"... */
  async serverStates(): Promise<Map<string, string>> {
    const stats = await this.serverStats();
    return new Map([...stats.entries()].map(([name, row]) => [name, row['status'] ?? '']));
  }

  /** Puts exactly the named servers in service (others in maintenance) and waits until they are UP. */
  async useServers(names: string[]): Promise<void> {
    for (const h of this.opts.servers) {
      await this.command(`set server ${BACKEND}/${h.name} state ${names.includes(h.name) ? 'ready' : 'maint'}`);
    }
    await this.waitUp(names);
  }

  async waitUp(names: string[], timeoutMs = 30_000): Promise<void> {
    await waitFor(`haproxy to see ${names.join(', ')} UP`, timeoutMs, async () => {
      const states = await this.serverStates();
      return names.every((n) => states.get(n) === 'UP');
    }, 100);
  }

  async stop(): Promise<void> {
    await this.proc?.stop('SIGUSR1', 3_000); // soft stop
  }
}
