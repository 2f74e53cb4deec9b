import { CellType, ModelConfig, cellOf, recurrentLayerName } from './modelConfig';

const KERAS_CLASSES: Record<CellType, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'SimpleRNN' };

/**
 * Said outright because the defaults differ: tfjs-layers' GRU gates with a
 * hard sigmoid unless told, and reads only reset_after=false.
 */
const CELL_OPTIONS: Record<CellType, object> = {
  lstm: { recurrent_activation: 'sigmoid', unit_forget_bias: true },
  gru: { recurrent_activation: 'sigmoid', reset_after: false },
  rnn: {},
};

/**
 * The Keras-style topology tfjs-layers reads (`tf.loadLayersModel`) for a
 * CharLens network. Initialisers are zeros because the weights are loaded
 * right after building; an orthogonal init of a large recurrent kernel
 * would cost seconds for nothing.
 */
export function layersTopology(config: ModelConfig): object {
  const zeros = { class_name: 'Zeros', config: {} };
  const layers: object[] = [
    {
      class_name: 'Embedding',
      config: {
        name: 'embedding',
        input_dim: config.vocabSize,
        output_dim: config.embeddingSize,
        embeddings_initializer: zeros,
        batch_input_shape: [null, null],
        dtype: 'float32',
        trainable: true,
      },
    },
  ];
  const cell = cellOf(config);
  for (let l = 0; l < config.layers; l++) {
    layers.push({
      class_name: KERAS_CLASSES[cell],
      config: {
        name: recurrentLayerName(config, l),
        units: config.hiddenSize,
        activation: 'tanh',
        use_bias: true,
        kernel_initializer: zeros,
        recurrent_initializer: zeros,
        bias_initializer: zeros,
        ...CELL_OPTIONS[cell],
        return_sequences: true,
        return_state: false,
        go_backwards: false,
        stateful: false,
        unroll: false,
        dropout: 0,
        recurrent_dropout: 0,
        trainable: true,
      },
    });
    if (config.dropout > 0) {
      layers.push({ class_name: 'Dropout', config: { name: `dropout_${l + 1}`, rate: config.dropout, trainable: true } });
    }
  }
  layers.push({
    class_name: 'Dense',
    config: {
      name: 'dense',
      units: config.vocabSize,
      activation: 'softmax',
      use_bias: true,
      kernel_initializer: zeros,
      bias_initializer: zeros,
      trainable: true,
    },
  });
  return {
    class_name: 'Sequential',
    config: { name: 'charlens', layers },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}
