// A minimal mosh server on our transport for interop tests: it echoes every keystroke back as host bytes (CR
// becomes CR LF), follows resizes, and echo-acks input at once. No pty, no emulator: the real server is server/.

import { generateKey } from '../../src/transport/key';
import { UserStream } from '../../src/statesync/userstream';
import { HostTape } from './hosttape';
import { UdpPeer } from './udppeer';

export class EchoServer {
  readonly key = generateKey();
  peer!: UdpPeer<HostTape, UserStream>;
  private consumed = 0;
  readonly resizes: [number, number][] = [];
  readonly typed: number[] = [];

  static async start(): Promise<EchoServer> {
    const s = new EchoServer();
    s.peer = await UdpPeer.server<HostTape, UserStream>({
      key: s.key,
      local: new HostTape(),
      remote: new UserStream(),
    });
    s.peer.onWake = () => s.consume();
    return s;
  }

  get port(): number {
    return this.peer.port;
  }

  private consume(): void {
    const t = this.peer.transport;
    if (t.sender.shutdownInProgress) return;
    const latest = t.latestRemote();
    const events = latest.state.eventsSince(this.consumed);
    if (events.length === 0) return;
    this.consumed = latest.state.count;
    const tape = t.currentState;
    for (const e of events) {
      if (e.type === 'resize') {
        this.resizes.push([e.width, e.height]);
        tape.width = e.width;
        tape.height = e.height;
      } else if (e.type === 'key') {
        this.typed.push(e.byte);
        tape.write(e.byte === 0x0d ? '\r\n' : Buffer.from([e.byte]));
      }
    }
    if (latest.num > tape.echoAck) tape.echoAck = latest.num;
  }

  close(): void {
    this.peer.close();
  }
}
