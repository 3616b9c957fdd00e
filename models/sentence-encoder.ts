/**
 * A pretrained sentence encoder, where a user configures one (`NEEDLOOP_ENCODER`): a local
 * model folder in Hugging Face's layout (`config.json`, `tokenizer.json`, the ONNX weights in
 * `onnx/model.onnx` or `model.onnx`), or a model id that `@huggingface/transformers` resolves
 * from its cache or, where the network reaches it, the Hub. Texts become unit vectors: the
 * encoder's token states, mean-pooled over the attention mask and scaled to length 1, so a
 * cosine is a dot product, as in the hashed space of analytics/discover-needs.ts.
 *
 * `@huggingface/transformers` (with `onnxruntime-node`, whose CPU binaries ship in the npm
 * package) is an optional dependency, imported only here and only when an encoder is
 * configured: the embedded default does the whole job without it.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface SentenceEncoder {
  /** What the vectors come from: the folder's or the model's name, for stored centroids. */
  id: string;
  dim: number;
  /** Unit vectors of TEXTS, row-major (texts.length × dim). */
  embed(texts: readonly string[]): Promise<Float32Array>;
}

const BATCH = 64;
/** A request's first characters only: the rest costs time and barely moves a mean-pooled vector. */
const MAX_CHARS = 1000;

type Extractor = (texts: string[], options: { pooling: 'mean'; normalize: true }) => Promise<{ data: Float32Array; dims: number[] }>;

/** Loads the encoder SPEC names (a folder or a model id); an error names SPEC and what is missing. */
export async function loadEncoder(spec: string): Promise<SentenceEncoder> {
  let transformers: typeof import('@huggingface/transformers');
  try {
    transformers = await import('@huggingface/transformers');
  } catch (error) {
    throw new Error(`NEEDLOOP_ENCODER=${spec}: the optional package @huggingface/transformers is not installed (${(error as Error).message.split('\n')[0]}); run npm install @huggingface/transformers, or unset NEEDLOOP_ENCODER to use the built-in representation`);
  }
  const { env, pipeline } = transformers;
  const folder = resolve(spec);
  const local = existsSync(folder) && statSync(folder).isDirectory();
  let model = spec;
  let subfolder: string | undefined;
  if (local) {
    for (const need of ['config.json', 'tokenizer.json']) {
      if (!existsSync(join(folder, need))) throw new Error(`NEEDLOOP_ENCODER=${spec}: ${join(folder, need)} is missing (a model folder holds config.json, tokenizer.json and onnx/model.onnx)`);
    }
    if (existsSync(join(folder, 'onnx', 'model.onnx'))) subfolder = 'onnx';
    else if (existsSync(join(folder, 'model.onnx'))) subfolder = '';
    else throw new Error(`NEEDLOOP_ENCODER=${spec}: no ONNX weights (looked for ${join(folder, 'onnx', 'model.onnx')} and ${join(folder, 'model.onnx')})`);
    env.localModelPath = dirname(folder);
    env.allowRemoteModels = false;
    model = basename(folder);
  }
  let extract: Extractor;
  try {
    extract = (await pipeline('feature-extraction', model, { dtype: 'fp32', ...(subfolder === undefined ? {} : { subfolder }) })) as unknown as Extractor;
  } catch (error) {
    throw new Error(`NEEDLOOP_ENCODER=${spec}: could not load the encoder: ${(error as Error).message.split('\n')[0]}`);
  }
  const probe = await extract(['probe'], { pooling: 'mean', normalize: true });
  const dim = probe.dims[1];
  return {
    id: local ? basename(folder) : spec,
    dim,
    async embed(texts) {
      // Each distinct text once: users repeat themselves, and a night's pool repeats more.
      const row = new Map<string, number>();
      for (const t of texts) if (!row.has(t)) row.set(t, row.size);
      const unique = [...row.keys()];
      const vectors = new Float32Array(unique.length * dim);
      for (let i = 0; i < unique.length; i += BATCH) {
        const batch = unique.slice(i, i + BATCH).map((t) => (t.trim() === '' ? ' ' : t.slice(0, MAX_CHARS)));
        const { data } = await extract(batch, { pooling: 'mean', normalize: true });
        vectors.set(data, i * dim);
      }
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, i) => {
        const r = row.get(t)!;
        out.set(vectors.subarray(r * dim, (r + 1) * dim), i * dim);
      });
      return out;
    },
  };
}

const loaded = new Map<string, Promise<SentenceEncoder>>();

/** The encoder SPEC names, loaded once per process; null when none is configured. */
export function encoderFor(spec: string | null): Promise<SentenceEncoder | null> {
  if (spec === null) return Promise.resolve(null);
  let p = loaded.get(spec);
  if (p === undefined) {
    p = loadEncoder(spec);
    p.catch(() => loaded.delete(spec));
    loaded.set(spec, p);
  }
  return p;
}
