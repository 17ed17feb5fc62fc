/**
 * The addresses a listening board can be reached at. A wildcard bind (`0.0.0.0`, `::`) is not an
 * address a browser can open: it stands for every interface of the machine, so the board lists
 * the machine's own addresses instead — the LAN ones first (what a tablet on the same network
 * opens), loopback last.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** Whether `host` is a loopback address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function urlOf(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}/`;
}

/**
 * The URLs at which a server bound to `host`:`port` can be reached: for a wildcard bind, every
 * non-internal address of this machine (IPv4, and IPv6 ones other than link-local when `host` is
 * `::`), then loopback; otherwise the bound address itself.
 * `interfaces` defaults to `os.networkInterfaces()` (a parameter for tests).
 */
export function reachableUrls(host: string, port: number, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  if (!wildcard) return [urlOf(host, port)];
  const lan: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const i of infos ?? []) {
      if (i.internal) continue;
      if (i.family === 'IPv4') lan.push(i.address);
      else if (host === '::' && !i.address.toLowerCase().startsWith('fe80')) lan.push(i.address);
    }
  }
  const ordered = [...new Set(lan)].sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
  return [...ordered.map((a) => urlOf(a, port)), urlOf('127.0.0.1', port)];
}
