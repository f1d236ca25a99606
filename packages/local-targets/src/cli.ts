/*
 * `yarn workspace local-targets start`: runs the loopback GitHub and
 * Kubernetes API servers that the start command's embedded default points
 * the platform at, until interrupted.
 */
import { startLocalTargets } from './localTargets';

async function main() {
  const targets = await startLocalTargets();
  process.stdout.write(
    [
      'LOCAL TARGETS (not real GitHub, not a real cluster):',
      `  GitHub REST API  ${targets.githubUrl}  (repositories live in memory)`,
      `  Repository pages ${targets.githubUrl}/OWNER/REPO  (open in a browser)`,
      `  Kubernetes API   ${targets.kubernetes.url}  (objects live in memory)`,
      `  Control API      ${targets.controlUrl}/faults  (slow down or fail a step; see packages/local-targets/README.md)`,
      'Everything is lost when this process stops. Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = () => {
    if (stopping) {
      return;
    }
    stopping = true;
    targets.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(error => {
  process.stderr.write(
    `Could not start the local targets: ${
      error instanceof Error ? error.message : String(error)
    }\n`,
  );
  process.exit(1);
});
