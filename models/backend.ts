/**
 * Chooses the TensorFlow.js backend: @tensorflow/tfjs-node-gpu (CUDA), then
 * @tensorflow/tfjs-node (libtensorflow on the CPU), then the pure-JS CPU backend of
 * @tensorflow/tfjs. Both native packages download libtensorflow when installed, which
 * fails without internet, so they are optional and may be absent. A forced backend that
 * is not available is an error, never a silent fallback.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendChoice = 'gpu' | 'node' | 'cpu';

export interface SelectedBackend {
  choice: BackendChoice;
  /** tfjs's name for it: 'tensorflow' for the native ones, 'cpu' for pure JS. */
  backend: string;
  /** Where the maths runs, for the model registry and logs. */
  device: string;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

const PACKAGES: Record<Exclude<BackendChoice, 'cpu'>, string> = { gpu: '@tensorflow/tfjs-node-gpu', node: '@tensorflow/tfjs-node' };

async function tryNative(choice: 'gpu' | 'node'): Promise<string | null> {
  try {
    await import(PACKAGES[choice]);
    return null;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

export async function selectBackend(forced: BackendChoice | null): Promise<SelectedBackend> {
  const order: BackendChoice[] = forced === null ? ['gpu', 'node', 'cpu'] : [forced];
  const failures: string[] = [];
  for (const choice of order) {
    if (choice !== 'cpu') {
      const failure = await tryNative(choice);
      if (failure !== null) {
        failures.push(`${PACKAGES[choice]}: ${failure}`);
        continue;
      }
      if (await tf.setBackend('tensorflow')) {
        return { choice, backend: 'tensorflow', device: choice === 'gpu' ? 'CUDA GPU via libtensorflow' : 'CPU via libtensorflow' };
      }
      failures.push(`${PACKAGES[choice]}: loaded, but the tensorflow backend did not start`);
      continue;
    }
    await tf.setBackend('cpu');
    // Production mode silences tfjs's "install the node backend" banner: the choice is
    // ours and is logged and recorded with each model version.
    tf.enableProdMode();
    return { choice, backend: 'cpu', device: 'CPU, pure JavaScript' };
  }
  throw new BackendError(`TFJS_BACKEND=${forced} is not available here: ${failures.join('; ')}. Install it (see README, "GPU worker") or unset TFJS_BACKEND.`);
}
