// The kernels' arithmetic, free of TensorFlow: arithmetic.cc is compiled for the very
// CPU it runs on (-march=native), which TensorFlow's headers do not always build with.
#ifndef SNNCONVERT_ARITHMETIC_H_
#define SNNCONVERT_ARITHMETIC_H_

#include <cstdint>

namespace snnconvert {

// Neurons handled together by one task: their state stays in cache across the steps.
constexpr int64_t kBlock = 512;

// One window of steps for a batch: current and output are [batch, steps, neurons],
// voltage, counts and new_voltage [batch, neurons]. With filter, the current first
// passes a low-pass synapse (decay, state before the window in synapse_state), then
// gains offset [neurons] (a bias, or nullptr). With signed_current the neurons integrate
// gain * J of either sign and emit max(floor(v), 0) spikes (rectify is then ignored).
struct Window {
  const float* current;
  const float* voltage;
  const float* synapse_state;
  const float* offset;
  float gain, dt, spike_value, decay;
  bool rectify, signed_current, cumulative, signed_spikes, filter;
  int64_t steps, neurons;
  float* output;
  float* counts;
  float* new_voltage;
  float* new_synapse_state;
};

// Neurons [first, last) of one sample, over all the window's steps.
void IntegrateBlock(const Window& w, int64_t sample, int64_t first, int64_t last);

// The low-pass synapse y[t] = decay * y[t-1] + (1 - decay) * x[t] for elements
// [first, last) of one sample; signal and filtered are [batch, steps, size], state
// (before the window) and new_state [batch, size].
struct Filtering {
  const float* signal;
  const float* state;
  float decay;
  int64_t steps, size;
  float* filtered;
  float* new_state;
};

void LowpassBlock(const Filtering& f, int64_t sample, int64_t first, int64_t last);

// Spikes scattered through a 2-D convolution (a Dense layer is the 1x1 case): each
// spike adds spike_value times its kernel rows to the output cells it reaches, then
// the bias is added. output is [batch, steps, out_rows, out_cols, filters].
struct Projection {
  const float* kernel;    // [k_rows, k_cols, channels, filters]
  const float* bias;      // [filters], or nullptr
  float spike_value;
  int64_t steps, rows, cols, channels, k_rows, k_cols, filters;
  int64_t out_rows, out_cols, stride_r, stride_c, dilation_r, dilation_c, pad_r, pad_c;
  float* output;
};

// A population fed a constant current, firing straight into the projection p: neuron
// n (in the input [rows, cols, channels]) of a sample emits the spikes numbered
// before+1 .. after since the run began, spike k in the first step t with
// floor(initial + t * increment) >= k. All arrays are [batch, neurons].
struct Firing {
  const float* increment;
  const float* initial;
  const float* before;
  const float* after;
  float elapsed;  // steps simulated before this window
  int64_t neurons;
};

void FireSample(const Firing& f, const Projection& p, int64_t sample);

// The gate of a spiking max-pool (see ops/pooling.py) over a window of steps: at each
// step every pooling window passes on the input of its cell with the largest running
// sum A (the first among those within tie_tolerance of the largest). Input element
// (position p, channel c) is at p * position_stride + c * channel_stride, output
// (window w, channel c) at w * window_stride + c * out_channel_stride.
struct Gating {
  const double* accumulated;  // [batch, size]: A before the window
  const float* signal;        // [batch, steps, size]: input per step or (cumulative) summed
  const int32_t* cells;       // [cell_count, windows]: the positions of each window's cells
  float tie_tolerance;
  bool cumulative;
  int64_t steps, positions, channels, windows, cell_count;
  int64_t position_stride, channel_stride, window_stride, out_channel_stride;
  float* gated;              // [batch, steps, windows * channels]
  double* new_accumulated;   // [batch, size]: A after the window
};

void GateSample(const Gating& g, int64_t sample);

}  // namespace snnconvert

#endif  // SNNCONVERT_ARITHMETIC_H_
