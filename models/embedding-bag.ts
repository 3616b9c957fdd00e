/**
 * An embedding bag: the weighted sum of token embeddings, as a tfjs layer. Its gradient
 * is the point: the stock Embedding layer's gradient on the CPU backend goes through
 * UnsortedSegmentSum, which costs O(vocabulary × batch); here the gradient is a
 * scatterND of only the rows the batch touched.
 */
import * as tf from '@tensorflow/tfjs';

export interface EmbeddingBagArgs {
  vocabularySize: number;
  dimensions: number;
  seed: number;
  name?: string;
}

/** bag(ids [B, L] int32, weights [B, L], table [V, D]) → [B, D], with a sparse gradient for table. */
const bag = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [ids, weights, table, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  const [batch, length] = ids.shape;
  const [vocabulary, dimensions] = table.shape;
  save([ids, weights]);
  // weights [B, 1, L] · embeddings [B, L, D]: a batched product, no broadcasting.
  const value = tf.tidy(() => tf.matMul(weights.reshape([batch, 1, length]), tf.gather(table, ids.reshape([batch * length])).reshape([batch, length, dimensions])).reshape([batch, dimensions]));
  return {
    value,
    // Only the rows of the batch's tokens get a gradient; scatterND adds up repeats.
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [savedIds, savedWeights] = saved;
        const rows = tf.matMul(savedWeights.reshape([batch, length, 1]), (dy as tf.Tensor2D).reshape([batch, 1, dimensions])).reshape([batch * length, dimensions]);
        const dTable = tf.scatterND(savedIds.reshape([batch * length, 1]), rows, [vocabulary, dimensions]);
        return [tf.zerosLike(savedIds), tf.zerosLike(savedWeights), dTable];
      }),
  };
});

export class EmbeddingBag extends tf.layers.Layer {
  static readonly className = 'NeedloopEmbeddingBag';
  private table: tf.LayerVariable | null = null;
  private readonly vocabularySize: number;
  private readonly dimensions: number;
  private readonly seed: number;

  constructor(args: EmbeddingBagArgs & { trainable?: boolean }) {
    super({ name: args.name, trainable: args.trainable });
    this.vocabularySize = args.vocabularySize;
    this.dimensions = args.dimensions;
    this.seed = args.seed;
  }

  override build(): void {
    this.table = this.addWeight('embeddings', [this.vocabularySize, this.dimensions], 'float32', tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape[])[0][0], this.dimensions];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [ids, weights] = inputs as tf.Tensor[];
    return bag(ids.toInt(), weights, this.table!.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabularySize: this.vocabularySize, dimensions: this.dimensions, seed: this.seed };
  }
}

tf.serialization.registerClass(EmbeddingBag);
