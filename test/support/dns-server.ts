// A tiny authoritative DNS server on 127.0.0.1 (UDP), so tests control what a name resolves to through a real
// DNS exchange (node:dns Resolver → this socket), never through a stubbed function.
import dgram from 'node:dgram';
import { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';

const TYPE_A = 1;
const TYPE_AAAA = 28;
const RCODE_NXDOMAIN = 3;

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for OUTBOUND_DNS_SERVERS. */
  address: string;
  /**
   * `name` answers with the first list, then the next on each query of a record type, the last one repeating
   * (e.g. `[['127.0.0.2'], ['127.0.0.1']]` rebinds). An empty list is a name without addresses.
   */
  set(name: string, ...answers: string[][]): void;
  /** A queries received for `name` so far. */
  queries(name: string): number;
  stop(): Promise<void>;
}

/** Reads the question name at offset 12 (uncompressed, as resolvers send it). */
function questionName(msg: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let i = 12;
  while (msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString('ascii'));
    i += msg[i] + 1;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const socket = dgram.createSocket('udp4');
  const zones = new Map<string, string[][]>();
  const served = new Map<string, number>();

  socket.on('message', (msg, peer) => {
    const { name, end } = questionName(msg);
    const qtype = msg.readUInt16BE(end);
    const family = qtype === TYPE_A ? 'ipv4' : qtype === TYPE_AAAA ? 'ipv6' : undefined;
    const key = `${name}/${qtype}`;
    const n = served.get(key) ?? 0;
    served.set(key, n + 1);
    const lists = zones.get(name);
    const addresses = lists && family ? lists[Math.min(n, lists.length - 1)].filter((a) => ipaddr.parse(a).kind() === family) : [];
    const answers = addresses.map((a) => {
      const rdata = Buffer.from(ipaddr.parse(a).toByteArray());
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4); // class IN
      rr.writeUInt32BE(0, 6); // TTL 0: nothing is cached between queries
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (lists ? 0 : RCODE_NXDOMAIN), 2); // QR, AA, RD echoed
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, msg.subarray(12, end + 4), ...answers]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(socket.address() as AddressInfo).port}`,
    set: (name, ...answers) => {
      zones.set(name.toLowerCase(), answers.length ? answers : [[]]);
      served.delete(`${name.toLowerCase()}/${TYPE_A}`);
      served.delete(`${name.toLowerCase()}/${TYPE_AAAA}`);
    },
    queries: (name) => served.get(`${name.toLowerCase()}/${TYPE_A}`) ?? 0,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
