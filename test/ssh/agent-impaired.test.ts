// Agent forwarding through a bad network and a sleeping client: dist/cli.js client -A (its own process, on a pty)
// and our server, with a real ssh-agent and a real sshd for the login from inside the session. Through the
// impairment relay at 20 % loss each way, `ssh-add -l` and the login work; and an agent request made while the
// client is stopped (SIGSTOP) for longer than the server's 40 s silence limit is answered once it continues, after
// which new requests work too.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SERVER_ASSOCIATION_TIMEOUT } from '../../src/transport/connection';
import { type CliRun, runCli } from '../support/clirun';
import { ImpairmentRelay } from '../support/relay';
import { type Sshd, sshdNeeds, startSshd } from '../support/sshd';
import { innerLogin, type SshAgent, startSshAgent } from '../support/sshagent';
import { startOurServer, type StockServer, until } from '../support/stock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(
  'agent forwarding through loss and a client freeze (dist/cli.js client -A, our server)',
  sshdNeeds('ssh', 'ssh-agent', 'ssh-add'),
  () => {
    let sshd: Sshd;
    let agent: SshAgent;
    let dir: string;
    before(async () => {
      sshd = await startSshd();
      agent = await startSshAgent();
      sshd.authorize(agent.pub);
      dir = mkdtempSync(join(tmpdir(), 'mosh-agent-impaired-'));
    });
    after(async () => {
      await agent?.stop();
      await sshd?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function session(
      relayLink: { loss: number; delayMs: number },
      body: (r: CliRun, relay: ImpairmentRelay) => Promise<void>,
    ): Promise<void> {
      const server: StockServer = await startOurServer({
        command: ['/bin/sh'],
        env: { HOME: dir, PS1: '$ ', ENV: '' },
      });
      const relay = await ImpairmentRelay.start({
        upstreamPort: server.port,
        seed: 11,
        toServer: relayLink,
        toClient: relayLink,
      });
      const r = runCli(['client', '-A', '--predict=never', '127.0.0.1', String(relay.port)], {
        env: { MOSH_KEY: server.key, SSH_AUTH_SOCK: agent.sock, HOME: dir },
      });
      try {
        await r.waitFor((l) => l.some((x) => x.startsWith('$')), 'the prompt', 20_000);
        await body(r, relay);
      } finally {
        await r.stop();
        await relay.close();
        await until(() => !server.alive(), 10_000, 'the server to exit').catch(() => server.kill());
      }
    }

    const runIn = async (r: CliRun, command: string, ms = 30_000): Promise<string[]> => {
      r.type('clear\r');
      await r.waitFor((l) => l.filter((x) => x !== '').length <= 1, 'a clear screen', ms);
      r.type(`${command}\r`);
      await r.waitFor((l) => l.some((x) => /^rc=\d+$/.test(x)), `"${command}" to finish`, ms);
      return r.lines();
    };

    test('at 20 % loss each way: ssh-add -l lists the key and the ssh login authenticates through the agent', async () => {
      await session({ loss: 0.2, delayMs: 10 }, async (r, relay) => {
        let lines = await runIn(r, 'ssh-add -l; echo "rc=$?"');
        assert.ok(
          lines.some((x) => x.includes(agent.fingerprint)),
          `the key is listed:\n${lines.join('\n')}`,
        );
        lines = await runIn(r, innerLogin(sshd.port, sshd.user));
        assert.ok(
          lines.includes('inner-42-login') && lines.includes('rc=0'),
          `the login went through:\n${lines.join('\n')}`,
        );
        assert.ok(
          relay.stats.toServer.dropped > 0 && relay.stats.toClient.dropped > 0,
          'the relay dropped datagrams both ways',
        );
      });
    });

    test(`a request made while the client is stopped for ${(SERVER_ASSOCIATION_TIMEOUT + 5000) / 1000} s is answered once it continues; later ones work too`, async () => {
      await session({ loss: 0, delayMs: 5 }, async (r) => {
        const out = join(dir, 'during-freeze.txt');
        // In 2 s (the client is stopped by then) a program asks the agent for its keys.
        // (set +m: no job notice from the shell when it ends, which would land among later output)
        r.type(`clear; set +m; (sleep 2; ssh-add -l > ${out} 2>&1; echo "rc=$?" >> ${out}) &\r`);
        await sleep(500);
        process.kill(r.proc.pid, 'SIGSTOP');
        try {
          await sleep(SERVER_ASSOCIATION_TIMEOUT + 5000);
          const early = (() => {
            try {
              return readFileSync(out, 'utf8');
            } catch {
              return '';
            }
          })();
          assert.equal(early, '', 'no answer while the client is stopped');
        } finally {
          process.kill(r.proc.pid, 'SIGCONT');
        }
        await until(
          () => /rc=\d+/.test(readFileSync(out, { encoding: 'utf8', flag: 'a+' })),
          30_000,
          'the request to be answered after the freeze',
        );
        const text = readFileSync(out, 'utf8');
        assert.ok(text.includes(agent.fingerprint) && text.includes('rc=0'), `answered with the key: ${text}`);
        const lines = await runIn(r, innerLogin(sshd.port, sshd.user));
        assert.ok(
          lines.some((x) => x.endsWith('inner-42-login')) && lines.includes('rc=0'),
          `a login after the freeze:\n${lines.join('\n')}`,
        );
      });
    });
  },
);
