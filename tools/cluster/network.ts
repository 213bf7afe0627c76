import { exec, execQuiet } from './exec.js';
import type { Journal } from './journal.js';

/** One "host" of the cluster: a network namespace with one address on the private bridge. */
export interface Host {
  name: string;
  /** Network namespace name (`ip netns`). */
  ns: string;
  ip: string;
}

/**
 * A private layer-2 network: one bridge in the root namespace, one namespace per host joined to
 * it by a veth pair. The root namespace gets the bridge's address (.1) so the harness itself can
 * reach every host directly. Nothing is routed or forwarded anywhere else: no default route in
 * the namespaces, no NAT, so all test traffic stays on this bridge.
 *
 * Addresses come from 198.18.0.0/15, the block RFC 2544 reserves for benchmarking networks, so
 * they cannot collide with a real service's network; the third octet varies per run.
 */
export class Network {
  readonly bridge: string;
  readonly prefix: string;
  readonly gateway: string;
  private hostCount = 0;

  private constructor(private readonly journal: Journal, private readonly runId: string, subnet: number) {
    this.bridge = `bsc${runId}`;
    this.prefix = `198.18.${subnet}`;
    this.gateway = `${this.prefix}.1`;
  }

  get cidr(): string {
    return `${this.prefix}.0/24`;
  }

  static async create(journal: Journal, runId: string): Promise<Network> {
    const used = (await exec('ip', ['-4', '-o', 'addr', 'show'])) + (await exec('ip', ['-4', 'route', 'show']));
    let subnet = parseInt(runId, 16) % 256;
    while (used.includes(`198.18.${subnet}.`)) subnet = (subnet + 1) % 256;
    const net = new Network(journal, runId, subnet);
    journal.record({ kind: 'link', name: net.bridge });
    await exec('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    await exec('ip', ['addr', 'add', `${net.gateway}/24`, 'dev', net.bridge]);
    await exec('ip', ['link', 'set', net.bridge, 'up']);
    return net;
  }

  /** Creates namespace `name` with address .`octet` on the bridge. */
  async addHost(name: string, octet: number): Promise<Host> {
    const ns = `bsc${this.runId}-${name}`;
    const index = ++this.hostCount;
    const outer = `bsc${this.runId}v${index}`; // ≤ 15 characters, the kernel's limit
    const inner = `bsc${this.runId}p${index}`;
    const ip = `${this.prefix}.${octet}`;
    this.journal.record({ kind: 'netns', name: ns });
    await exec('ip', ['netns', 'add', ns]);
    this.journal.record({ kind: 'link', name: outer });
    await exec('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
    await exec('ip', ['link', 'set', inner, 'netns', ns]);
    await exec('ip', ['link', 'set', outer, 'master', this.bridge, 'up']);
    await exec('ip', ['-n', ns, 'link', 'set', inner, 'name', 'eth0']);
    await exec('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await exec('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return { name, ns, ip };
  }
}

/** True when `ip netns` exists and works here (root, iproute2). */
export async function netnsAvailable(): Promise<boolean> {
  return (await execQuiet('ip', ['netns', 'list'])).code === 0;
}
