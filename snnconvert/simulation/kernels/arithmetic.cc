// Spiking ReLU, each neuron:  v += max(gain * J, 0) * dt;  n = floor(v);  v -= n
// or, integrating the signed current:  v += gain * J * dt;  n = max(floor(v), 0);  v -= n
// with the float32 operations of the TensorFlow path, in the same order, so that both
// give bit-identical results. Build with -ffp-contract=off: a fused multiply-add
// would round differently from TensorFlow's separate Mul and AddV2 ops.
//
// Low-pass synapse: the recurrence itself, one pass over the signal; fused in front of
// a population, the very same operations.
//
// Spiking max-pool gate: the operations of ops/pooling.py's TensorFlow path per step,
// A rounded to float32 the same way, the same threshold, the same choice among ties.
#include "arithmetic.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace snnconvert {

namespace {

// The choices are template parameters and the arrays restrict pointers, so that the
// inner loop has no branch and no possible aliasing: the compiler vectorises it.
// What a neuron integrates, and which spikes it emits.
enum class Drive {
  kGiven,      // the current is the drive already (computed by TensorFlow); n = floor(v)
  kRectified,  // max(gain * J, 0); n = floor(v)
  kSigned,     // gain * J of either sign, v may fall below zero; n = max(floor(v), 0)
};

template <bool kCumulative, bool kFilter, Drive kDrive>
void Integrate(const Window& w, int64_t sample, int64_t first, int64_t size, float* __restrict__ v,
               float* __restrict__ emitted, float* __restrict__ magnitude, float* __restrict__ previous,
               float* __restrict__ filtered, const float* __restrict__ offset) {
  const float gain = w.gain, dt = w.dt, spike_value = w.spike_value;
  const float keep = w.decay, take = 1.0f - w.decay;
  for (int64_t step = 0; step < w.steps; ++step) {
    const int64_t row = (sample * w.steps + step) * w.neurons + first;
    const float* __restrict__ in = w.current + row;
    float* __restrict__ out = w.output + row;
    for (int64_t k = 0; k < size; ++k) {
      float value = in[k];
      if (kCumulative) {  // a running sum arrives: its step values are its differences
        const float running = value;
        value = running - previous[k];
        previous[k] = running;
      }
      if (kFilter) {
        filtered[k] = keep * filtered[k] + take * value;
        value = filtered[k] + offset[k];
      }
      if (kDrive == Drive::kRectified) value = std::max(value * gain, 0.0f);
      if (kDrive == Drive::kSigned) value = value * gain;
      const float level = v[k] + value * dt;
      const float spikes = kDrive == Drive::kSigned ? std::max(std::floor(level), 0.0f) : std::floor(level);
      v[k] = level - spikes;
      emitted[k] += spikes;
      magnitude[k] += std::fabs(spikes);
      out[k] = emitted[k] * spike_value;
    }
  }
}

using IntegrateFunction = void (*)(const Window&, int64_t, int64_t, int64_t, float*, float*, float*, float*,
                                   float*, const float*);

template <bool kCumulative, bool kFilter>
IntegrateFunction Choose(const Window& w) {
  if (w.signed_current) return Integrate<kCumulative, kFilter, Drive::kSigned>;
  if (w.rectify) return Integrate<kCumulative, kFilter, Drive::kRectified>;
  return Integrate<kCumulative, kFilter, Drive::kGiven>;
}

}  // namespace

void IntegrateBlock(const Window& w, int64_t sample, int64_t first, int64_t last) {
  const int64_t size = last - first, at = sample * w.neurons + first;
  std::vector<float> v(w.voltage + at, w.voltage + at + size);
  std::vector<float> emitted(size, 0.0f), magnitude(size, 0.0f), previous(size, 0.0f);
  std::vector<float> filtered(size, 0.0f), offset(size, 0.0f);
  if (w.filter) std::copy(w.synapse_state + at, w.synapse_state + at + size, filtered.begin());
  if (w.offset != nullptr) std::copy(w.offset + first, w.offset + first + size, offset.begin());
  const IntegrateFunction integrate = w.cumulative ? (w.filter ? Choose<true, true>(w) : Choose<true, false>(w))
                                                   : (w.filter ? Choose<false, true>(w) : Choose<false, false>(w));
  integrate(w, sample, first, size, v.data(), emitted.data(), magnitude.data(), previous.data(), filtered.data(),
            offset.data());
  std::copy(v.begin(), v.end(), w.new_voltage + at);
  const std::vector<float>& counted = w.signed_spikes ? magnitude : emitted;
  std::copy(counted.begin(), counted.end(), w.counts + at);
  if (w.filter) std::copy(filtered.begin(), filtered.end(), w.new_synapse_state + at);
}

void LowpassBlock(const Filtering& f, int64_t sample, int64_t first, int64_t last) {
  const int64_t size = last - first;
  const float keep = f.decay, take = 1.0f - f.decay;
  std::vector<float> y(f.state + sample * f.size + first, f.state + sample * f.size + last);
  float* __restrict__ level = y.data();
  for (int64_t step = 0; step < f.steps; ++step) {
    const int64_t row = (sample * f.steps + step) * f.size + first;
    const float* __restrict__ in = f.signal + row;
    float* __restrict__ out = f.filtered + row;
    for (int64_t k = 0; k < size; ++k) {
      level[k] = keep * level[k] + take * in[k];
      out[k] = level[k];
    }
  }
  std::copy(y.begin(), y.end(), f.new_state + sample * f.size + first);
}

namespace {

// The bias, added to one step's outputs once all its spikes have landed.
void AddBias(const Projection& p, float* __restrict__ frame) {
  if (p.bias == nullptr) return;
  const float* __restrict__ bias = p.bias;
  for (int64_t cell = 0; cell < p.out_rows * p.out_cols; ++cell) {
    float* __restrict__ values = frame + cell * p.filters;
    for (int64_t f = 0; f < p.filters; ++f) values[f] += bias[f];
  }
}

// Where each input pixel's spikes land: for pixel q, entries [start[q], start[q + 1]) of
// reach, each (kernel offset of channel 0, output cell offset).
struct Reach {
  std::vector<int64_t> start;
  std::vector<std::pair<int64_t, int64_t>> reach;
};

Reach Reached(const Projection& p) {
  Reach r;
  r.start.reserve(p.rows * p.cols + 1);
  for (int64_t row = 0; row < p.rows; ++row) {
    for (int64_t col = 0; col < p.cols; ++col) {
      r.start.push_back(static_cast<int64_t>(r.reach.size()));
      for (int64_t kr = 0; kr < p.k_rows; ++kr) {
        const int64_t reach_r = row + p.pad_r - kr * p.dilation_r;
        if (reach_r < 0 || reach_r % p.stride_r != 0 || reach_r >= p.out_rows * p.stride_r) continue;
        for (int64_t kc = 0; kc < p.k_cols; ++kc) {
          const int64_t reach_c = col + p.pad_c - kc * p.dilation_c;
          if (reach_c < 0 || reach_c % p.stride_c != 0 || reach_c >= p.out_cols * p.stride_c) continue;
          r.reach.emplace_back((kr * p.k_cols + kc) * p.channels * p.filters,
                               ((reach_r / p.stride_r) * p.out_cols + reach_c / p.stride_c) * p.filters);
        }
      }
    }
  }
  r.start.push_back(static_cast<int64_t>(r.reach.size()));
  return r;
}

// The neurons of one sample's spikes, grouped by step (step t's are entries
// [start[t], start[t + 1])), in the order of neurons and of their spikes within a step.
struct SpikesByStep {
  std::vector<int64_t> start;
  std::vector<int32_t> neuron;
};

SpikesByStep ListSpikes(const Firing& f, int64_t steps, int64_t sample) {
  std::vector<int32_t> step_of, neuron_of;
  for (int64_t neuron = 0; neuron < f.neurons; ++neuron) {
    const int64_t at = sample * f.neurons + neuron;
    const float first = f.before[at], count = f.after[at] - first;
    const float v0 = f.initial[at], rate = f.increment[at];
    for (int64_t rank = 0; rank < static_cast<int64_t>(count); ++rank) {
      // The float operations of the TensorFlow path (events.constant_spike_events):
      // estimate the step, then settle it with the dense path's own formula.
      const float k = (first + 1.0f) + static_cast<float>(rank);
      float step = std::ceil((k - v0) / rate);
      if (std::floor(v0 + step * rate) < k) step = step + 1.0f;
      if (std::floor(v0 + (step - 1.0f) * rate) >= k) step = step - 1.0f;
      step_of.push_back(std::clamp<int32_t>(static_cast<int32_t>(step - f.elapsed) - 1, 0, steps - 1));
      neuron_of.push_back(static_cast<int32_t>(neuron));
    }
  }
  SpikesByStep spikes;  // a stable counting sort by step
  spikes.start.assign(steps + 1, 0);
  for (const int32_t step : step_of) ++spikes.start[step + 1];
  for (int64_t step = 0; step < steps; ++step) spikes.start[step + 1] += spikes.start[step];
  std::vector<int64_t> next(spikes.start.begin(), spikes.start.end() - 1);
  spikes.neuron.resize(neuron_of.size());
  for (size_t i = 0; i < neuron_of.size(); ++i) spikes.neuron[next[step_of[i]]++] = neuron_of[i];
  return spikes;
}

}  // namespace

void FireSample(const Firing& f, const Projection& p, int64_t sample) {
  const int64_t filters = p.filters, frame = p.out_rows * p.out_cols * filters;
  float* __restrict__ slab = p.output + sample * p.steps * frame;
  const float spike_value = p.spike_value;
  const Reach reached = Reached(p);
  const SpikesByStep spikes = ListSpikes(f, p.steps, sample);
  // Step by step, so that a step's outputs stay in cache from zero to bias. Each output
  // value still sums its spikes in the order of neurons, then of their spikes.
  for (int64_t step = 0; step < p.steps; ++step) {
    float* __restrict__ at_step = slab + step * frame;
    std::fill(at_step, at_step + frame, 0.0f);
    for (int64_t i = spikes.start[step]; i < spikes.start[step + 1]; ++i) {
      const int64_t neuron = spikes.neuron[i], pixel = neuron / p.channels, channel = neuron % p.channels;
      for (int64_t entry = reached.start[pixel]; entry < reached.start[pixel + 1]; ++entry) {
        const auto& [kernel_row, cell_offset] = reached.reach[entry];
        const float* __restrict__ weights = p.kernel + kernel_row + channel * filters;
        float* __restrict__ cell = at_step + cell_offset;
        for (int64_t filter = 0; filter < filters; ++filter) cell[filter] += weights[filter] * spike_value;
      }
    }
    AddBias(p, at_step);
  }
}

namespace {

// One step of the gate: running (A at this step, float32) and x (this step's input)
// over all input elements, out over all windows and channels. Channels are the inner
// loop (contiguous when they come last, so that it is vectorised), one window at a time.
template <bool kChannelsLast>
void GateStep(const Gating& g, const float* __restrict__ running, const float* __restrict__ x,
              float* __restrict__ out, float* __restrict__ largest, float* __restrict__ selected) {
  const int64_t channels = g.channels, last = g.cell_count - 1, windows = g.windows;
  const int64_t channel_stride = kChannelsLast ? 1 : g.channel_stride;
  const float tolerance = g.tie_tolerance;
  for (int64_t window = 0; window < windows; ++window) {
    auto cell_at = [&](int64_t cell) { return g.cells[cell * windows + window] * g.position_stride; };
    const float* __restrict__ a = running + cell_at(0);
    for (int64_t c = 0; c < channels; ++c) largest[c] = a[c * channel_stride];
    for (int64_t cell = 1; cell <= last; ++cell) {
      a = running + cell_at(cell);
      for (int64_t c = 0; c < channels; ++c) largest[c] = std::max(largest[c], a[c * channel_stride]);
    }
    for (int64_t c = 0; c < channels; ++c) largest[c] = largest[c] - tolerance * std::fabs(largest[c]);
    const float* __restrict__ v = x + cell_at(last);
    for (int64_t c = 0; c < channels; ++c) selected[c] = v[c * channel_stride];
    // From the last cell to the first, as the TensorFlow path: the first tied one wins.
    for (int64_t cell = last - 1; cell >= 0; --cell) {
      a = running + cell_at(cell);
      v = x + cell_at(cell);
      for (int64_t c = 0; c < channels; ++c) {
        selected[c] = a[c * channel_stride] >= largest[c] ? v[c * channel_stride] : selected[c];
      }
    }
    float* __restrict__ to = out + window * g.window_stride;
    for (int64_t c = 0; c < channels; ++c) to[c * g.out_channel_stride] = selected[c];
  }
}

}  // namespace

void GateSample(const Gating& g, int64_t sample) {
  const int64_t size = g.positions * g.channels, frame = g.windows * g.channels;
  const double* __restrict__ before = g.accumulated + sample * size;
  std::vector<float> running(size), x(size), previous(size, 0.0f), rounded(size);
  std::vector<float> largest(g.channels), selected(g.channels);  // the threshold, then the choice
  std::vector<double> summed(size, 0.0);
  for (int64_t i = 0; i < size; ++i) rounded[i] = static_cast<float>(before[i]);
  for (int64_t step = 0; step < g.steps; ++step) {
    const float* __restrict__ in = g.signal + (sample * g.steps + step) * size;
    if (g.cumulative) {  // A = float32(A before) + running sum; x = its difference
      for (int64_t i = 0; i < size; ++i) {
        running[i] = rounded[i] + in[i];
        x[i] = in[i] - previous[i];
        previous[i] = in[i];
      }
    } else {  // A = float32(A before + float64 running sum), as tf.cumsum sums
      for (int64_t i = 0; i < size; ++i) {
        summed[i] += static_cast<double>(in[i]);
        running[i] = static_cast<float>(before[i] + summed[i]);
        x[i] = in[i];
      }
    }
    float* out = g.gated + (sample * g.steps + step) * frame;
    if (g.channel_stride == 1) {
      GateStep<true>(g, running.data(), x.data(), out, largest.data(), selected.data());
    } else {
      GateStep<false>(g, running.data(), x.data(), out, largest.data(), selected.data());
    }
  }
  double* __restrict__ after = g.new_accumulated + sample * size;
  for (int64_t i = 0; i < size; ++i) {
    after[i] = before[i] + (g.cumulative ? static_cast<double>(previous[i]) : summed[i]);
  }
}

}  // namespace snnconvert
