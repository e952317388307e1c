// The kernel's count of a socket's unacknowledged bytes (/proc/net/tcp), which tells the
// stall detector that a client reads while the kernel's send buffer is full.

import { existsSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSendQueues, readSendQueues, socketInode } from '../../src/network/tcp-send-queue.ts';
import { quiet, until } from './support/harness.ts';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8D37 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1872865 1 00000000ef850560 100 0 0 10 0
  12: 0100007F:A96A 0100007F:AD25 01 003C7600:00000000 01:00000014 00000000  1000        0 1917292 2 0000000095817b70 20 4 28 12 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   1: 0000000000000000FFFF00000100007F:A96A 0000000000000000FFFF00000100007F:AD25 01 0000FFFF:00000000 02:000AFB94 00000000     0        0 1917293 2 0000000095817b70 20 4 28 12 -1
`;

const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

describe('kernel send queues', () => {
  it('reads tx_queue (hexadecimal) of the wanted inodes from tcp and tcp6 tables', () => {
    const found = new Map<number, number>();
    parseSendQueues(TCP, new Set([1917292, 1917293, 42]), found);
    parseSendQueues(TCP6, new Set([1917292, 1917293, 42]), found);
    expect(found).toEqual(
      new Map([
        [1917292, 0x3c7600],
        [1917293, 0xffff],
      ]),
    );
  });

  it.skipIf(!existsSync('/proc/net/tcp'))('sees the bytes a peer that does not read leaves in a live socket, and them going as it reads', async () => {
    const accepted = new Promise<net.Socket>((resolve) => {
      const server = net.createServer((s) => resolve(s));
      servers.push(server);
      server.listen(0, '127.0.0.1', () => {
        const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        client.pause();
        sockets.push(client);
      });
    });
    const sender = await accepted;
    sockets.push(sender);
    const inode = socketInode(sender);
    expect(inode).toBeGreaterThan(0);
    sender.write(Buffer.alloc(32 * 1024 * 1024));
    await quiet(50);
    const full = (await readSendQueues(new Set([inode!]))).get(inode!)!;
    expect(full).toBeGreaterThan(0);
    sockets[0]!.resume();
    await until(() => sender.writableLength === 0, 'the peer read everything');
    const after = (await readSendQueues(new Set([inode!]))).get(inode!);
    expect(after).toBeLessThan(full);
  });
});
