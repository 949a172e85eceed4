// Running a command inside a running container and collecting its exit code and output.
import type { DockerClient } from '../docker.ts';
import { demuxBuffer } from './query.ts';

export interface ExecResult {
  exitCode: number;
  output: string;
}

export async function execIn(
  docker: DockerClient,
  containerId: string,
  cmd: string[],
  opts: { user?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: cmd,
    User: opts.user,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`\`${cmd.join(' ')}\` did not finish within ${opts.timeoutMs ?? 15_000}ms`));
    }, opts.timeoutMs ?? 15_000);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  // The stream can end a moment before the engine records the exit code.
  let info = await exec.inspect();
  for (let i = 0; i < 40 && info.Running; i++) {
    await new Promise((r) => setTimeout(r, 50));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, output: demuxBuffer(Buffer.concat(chunks)).trim() };
}
