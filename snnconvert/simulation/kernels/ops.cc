// TensorFlow CPU ops for the step-by-step updates of a window of steps (see
// __init__.py for why they exist); the arithmetic is in arithmetic.cc. This part
// checks shapes, allocates outputs and shares the work among TensorFlow's CPU threads.

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/util/work_sharder.h"
#include "arithmetic.h"

namespace snnconvert {

namespace {

// Runs block(sample, first, last) over blocks of kBlock elements of every sample, in
// parallel on TensorFlow's CPU threads; cost is the cycles per element, roughly.
void ForEachBlock(tensorflow::OpKernelContext* context, int64_t batch, int64_t size, int64_t cost,
                  const std::function<void(int64_t, int64_t, int64_t)>& block) {
  const int64_t blocks = (size + kBlock - 1) / kBlock;
  const auto* workers = context->device()->tensorflow_cpu_worker_threads();
  tensorflow::Shard(workers->num_threads, workers->workers, batch * blocks, std::max<int64_t>(1, kBlock * cost),
                    [&](int64_t begin, int64_t end) {
                      for (int64_t task = begin; task < end; ++task) {
                        const int64_t first = (task % blocks) * kBlock;
                        block(task / blocks, first, std::min(first + kBlock, size));
                      }
                    });
}

// Whether input `index` is a scalar; an OP_REQUIRES on it turns a misuse into an
// InvalidArgument error instead of the CHECK failure of Tensor::scalar (an abort).
absl::Status RequireScalar(tensorflow::OpKernelContext* context, int index, const char* name) {
  if (tensorflow::TensorShapeUtils::IsScalar(context->input(index).shape())) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(name) + " must be a scalar, got shape " +
                                    context->input(index).shape().DebugString());
}

}  // namespace

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

REGISTER_OP("SnnconvertIntegrateSpikingRelu")
    .Input("current: float")        // [batch, steps, neurons], per step or running sum
    .Input("voltage: float")        // [batch, neurons]
    .Input("gain: float")           // scalars
    .Input("dt: float")
    .Input("spike_value: float")
    .Input("synapse_state: float")  // [batch, neurons] with filter, else anything
    .Input("decay: float")          // scalar: exp(-dt / tau) of the synapse, with filter
    .Input("offset: float")         // [neurons] added after the synapse (a bias), or [0]
    .Attr("rectify: bool")          // apply max(gain * J, 0); else J is the drive already
    .Attr("filter: bool")           // pass J through the low-pass synapse first
    .Attr("cumulative: bool")       // J is a running sum over the window's steps
    .Attr("signed_spikes: bool")    // count negative spikes by magnitude
    // integrate gain * J of either sign (v may fall below zero), emit max(floor(v), 0)
    // spikes: an integrate-and-fire neuron on the signed current; rectify must be false
    .Attr("signed_current: bool = false")
    .Output("output: float")        // spike_value * spikes emitted up to each step
    .Output("counts: float")        // [batch, neurons] spikes in the window
    .Output("new_voltage: float")   // [batch, neurons]
    .Output("new_synapse_state: float")  // [batch, neurons] with filter, else [0]
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      c->set_output(1, c->input(1));
      c->set_output(2, c->input(1));
      c->set_output(3, c->UnknownShape());
      return absl::OkStatus();
    });


class IntegrateSpikingReluOp : public OpKernel {
 public:
  explicit IntegrateSpikingReluOp(OpKernelConstruction* context) : OpKernel(context) {
    OP_REQUIRES_OK(context, context->GetAttr("rectify", &rectify_));
    OP_REQUIRES_OK(context, context->GetAttr("cumulative", &cumulative_));
    OP_REQUIRES_OK(context, context->GetAttr("signed_spikes", &signed_spikes_));
    OP_REQUIRES_OK(context, context->GetAttr("filter", &filter_));
    OP_REQUIRES_OK(context, context->GetAttr("signed_current", &signed_current_));
    OP_REQUIRES(context, !(rectify_ && signed_current_),
                absl::InvalidArgumentError("rectify and signed_current exclude each other: a signed current is "
                                           "integrated as it is"));
  }

  void Compute(OpKernelContext* context) override {
    const Tensor& current = context->input(0);
    const Tensor& voltage = context->input(1);
    OP_REQUIRES(context, current.dims() == 3 && voltage.dims() == 2 &&
                             current.dim_size(0) == voltage.dim_size(0) &&
                             current.dim_size(2) == voltage.dim_size(1),
                absl::InvalidArgumentError("expected current [batch, steps, n] and voltage [batch, n]"));
    OP_REQUIRES_OK(context, RequireScalar(context, 2, "gain"));
    OP_REQUIRES_OK(context, RequireScalar(context, 3, "dt"));
    OP_REQUIRES_OK(context, RequireScalar(context, 4, "spike_value"));
    OP_REQUIRES_OK(context, RequireScalar(context, 6, "decay"));
    Tensor* output = nullptr;
    Tensor* counts = nullptr;
    Tensor* new_voltage = nullptr;
    OP_REQUIRES_OK(context, context->allocate_output(0, current.shape(), &output));
    OP_REQUIRES_OK(context, context->allocate_output(1, voltage.shape(), &counts));
    OP_REQUIRES_OK(context, context->allocate_output(2, voltage.shape(), &new_voltage));
    const Tensor& synapse_state = context->input(5);
    OP_REQUIRES(context, !filter_ || synapse_state.shape() == voltage.shape(),
                absl::InvalidArgumentError("synapse_state must be shaped like voltage"));
    Tensor* new_synapse_state = nullptr;
    OP_REQUIRES_OK(context, context->allocate_output(3, filter_ ? voltage.shape() : TensorShape({0}),
                                                     &new_synapse_state));

    Window w;
    w.current = current.flat<float>().data();
    w.voltage = voltage.flat<float>().data();
    w.gain = context->input(2).scalar<float>()();
    w.dt = context->input(3).scalar<float>()();
    w.spike_value = context->input(4).scalar<float>()();
    w.synapse_state = synapse_state.flat<float>().data();
    w.decay = context->input(6).scalar<float>()();
    const Tensor& offset = context->input(7);
    OP_REQUIRES(context, offset.NumElements() == 0 || (filter_ && offset.NumElements() == voltage.dim_size(1)),
                absl::InvalidArgumentError("offset needs filter and one value per neuron"));
    w.offset = offset.NumElements() == 0 ? nullptr : offset.flat<float>().data();
    w.filter = filter_;
    w.new_synapse_state = new_synapse_state->flat<float>().data();
    w.rectify = rectify_;
    w.signed_current = signed_current_;
    w.cumulative = cumulative_;
    w.signed_spikes = signed_spikes_;
    w.steps = current.dim_size(1);
    w.neurons = current.dim_size(2);
    w.output = output->flat<float>().data();
    w.counts = counts->flat<float>().data();
    w.new_voltage = new_voltage->flat<float>().data();

    ForEachBlock(context, current.dim_size(0), w.neurons, w.steps * 8,
                 [&w](int64_t sample, int64_t first, int64_t last) { IntegrateBlock(w, sample, first, last); });
  }

 private:
  bool rectify_ = true;
  bool cumulative_ = false;
  bool signed_spikes_ = false;
  bool filter_ = false;
  bool signed_current_ = false;
};

REGISTER_KERNEL_BUILDER(Name("SnnconvertIntegrateSpikingRelu").Device(tensorflow::DEVICE_CPU),
                        IntegrateSpikingReluOp);

REGISTER_OP("SnnconvertLowpass")
    .Input("signal: float")     // [batch, steps, size]
    .Input("state: float")      // [batch, size], the output before the first step
    .Input("decay: float")      // exp(-dt / tau)
    .Output("filtered: float")  // [batch, steps, size]
    .Output("new_state: float")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      c->set_output(1, c->input(1));
      return absl::OkStatus();
    });

class LowpassOp : public OpKernel {
 public:
  explicit LowpassOp(OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(OpKernelContext* context) override {
    const Tensor& signal = context->input(0);
    const Tensor& state = context->input(1);
    OP_REQUIRES(context, signal.dims() == 3 && state.dims() == 2 && signal.dim_size(0) == state.dim_size(0) &&
                             signal.dim_size(2) == state.dim_size(1),
                absl::InvalidArgumentError("expected signal [batch, steps, n] and state [batch, n]"));
    OP_REQUIRES_OK(context, RequireScalar(context, 2, "decay"));
    Tensor* filtered = nullptr;
    Tensor* new_state = nullptr;
    OP_REQUIRES_OK(context, context->allocate_output(0, signal.shape(), &filtered));
    OP_REQUIRES_OK(context, context->allocate_output(1, state.shape(), &new_state));
    Filtering f;
    f.signal = signal.flat<float>().data();
    f.state = state.flat<float>().data();
    f.decay = context->input(2).scalar<float>()();
    f.steps = signal.dim_size(1);
    f.size = signal.dim_size(2);
    f.filtered = filtered->flat<float>().data();
    f.new_state = new_state->flat<float>().data();
    ForEachBlock(context, signal.dim_size(0), f.size, f.steps * 3,
                 [&f](int64_t sample, int64_t first, int64_t last) { LowpassBlock(f, sample, first, last); });
  }
};

REGISTER_KERNEL_BUILDER(Name("SnnconvertLowpass").Device(tensorflow::DEVICE_CPU), LowpassOp);

REGISTER_OP("SnnconvertFireInto")
    .Input("increment: float")    // [batch, neurons] voltage rise per step
    .Input("initial: float")      // [batch, neurons] voltage before the run's first step
    .Input("before: float")       // [batch, neurons] spikes emitted before this window
    .Input("after: float")        // [batch, neurons] ... and by its end
    .Input("elapsed: float")      // scalar: steps simulated before this window
    .Input("kernel: float")       // [k_rows, k_cols, channels, filters]
    .Input("bias: float")         // [filters], or [0] for none
    .Input("spike_value: float")  // scalar
    .Attr("steps: int")
    .Attr("in_shape: list(int)")   // rows, cols, channels
    .Attr("out_shape: list(int)")  // out_rows, out_cols (filters come from the kernel)
    .Attr("strides: list(int)")
    .Attr("dilation: list(int)")
    .Attr("leading_padding: list(int)")
    .Output("output: float")      // [batch, steps, out_rows, out_cols, filters]
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      int steps;
      std::vector<int> out_shape;
      TF_RETURN_IF_ERROR(c->GetAttr("steps", &steps));
      TF_RETURN_IF_ERROR(c->GetAttr("out_shape", &out_shape));
      if (out_shape.size() != 2) return absl::InvalidArgumentError("out_shape must have 2 entries");
      tensorflow::shape_inference::ShapeHandle kernel;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(5), 4, &kernel));
      c->set_output(0, c->MakeShape({c->Dim(c->input(0), 0), steps, out_shape[0], out_shape[1], c->Dim(kernel, 3)}));
      return absl::OkStatus();
    });

// A population fed a constant current, its spikes scattered through a convolution
// kernel into the [batch, steps, ...] output of the layer it drives.
class FireIntoOp : public OpKernel {
 public:
  explicit FireIntoOp(OpKernelConstruction* context) : OpKernel(context) {
    std::vector<int> in_shape, out_shape, strides, dilation, padding;
    OP_REQUIRES_OK(context, context->GetAttr("steps", &steps_));
    OP_REQUIRES_OK(context, context->GetAttr("in_shape", &in_shape));
    OP_REQUIRES_OK(context, context->GetAttr("out_shape", &out_shape));
    OP_REQUIRES_OK(context, context->GetAttr("strides", &strides));
    OP_REQUIRES_OK(context, context->GetAttr("dilation", &dilation));
    OP_REQUIRES_OK(context, context->GetAttr("leading_padding", &padding));
    OP_REQUIRES(context, in_shape.size() == 3 && out_shape.size() == 2 && strides.size() == 2 &&
                             dilation.size() == 2 && padding.size() == 2,
                absl::InvalidArgumentError("in_shape has 3 entries; out_shape, strides, dilation, padding 2"));
    // Zero strides or channels would divide by zero; negative sizes would index memory.
    OP_REQUIRES(context, steps_ >= 0 && out_shape[0] >= 0 && out_shape[1] >= 0 && padding[0] >= 0 && padding[1] >= 0,
                absl::InvalidArgumentError("steps, out_shape and leading_padding must be >= 0"));
    OP_REQUIRES(context, *std::min_element(in_shape.begin(), in_shape.end()) >= 1 && strides[0] >= 1 &&
                             strides[1] >= 1 && dilation[0] >= 1 && dilation[1] >= 1,
                absl::InvalidArgumentError("in_shape, strides and dilation must be >= 1"));
    geometry_ = {in_shape[0], in_shape[1], in_shape[2], out_shape[0], out_shape[1], strides[0], strides[1],
                 dilation[0], dilation[1], padding[0], padding[1]};
  }

  void Compute(OpKernelContext* context) override {
    const Tensor& increment = context->input(0);
    const Tensor& kernel = context->input(5);
    const Tensor& bias = context->input(6);
    for (int input = 1; input < 4; ++input) {
      OP_REQUIRES(context, context->input(input).shape() == increment.shape(),
                  absl::InvalidArgumentError("increment, initial, before and after must have one shape"));
    }
    const int64_t neurons = geometry_[0] * geometry_[1] * geometry_[2];
    OP_REQUIRES(context, increment.dims() == 2 && increment.dim_size(1) == neurons,
                absl::InvalidArgumentError("increment must be [batch, rows * cols * channels]"));
    OP_REQUIRES_OK(context, RequireScalar(context, 4, "elapsed"));
    OP_REQUIRES_OK(context, RequireScalar(context, 7, "spike_value"));
    OP_REQUIRES(context, kernel.dims() == 4 && kernel.dim_size(2) == geometry_[2],
                absl::InvalidArgumentError("kernel must be [k_rows, k_cols, channels, filters]"));
    const int64_t batch = increment.dim_size(0), filters = kernel.dim_size(3);
    OP_REQUIRES(context, bias.NumElements() == 0 || (bias.dims() == 1 && bias.NumElements() == filters),
                absl::InvalidArgumentError("bias must have one value per filter, or none"));
    TensorShape output_shape;
    OP_REQUIRES_OK(context, TensorShape::BuildTensorShape({batch, steps_, geometry_[3], geometry_[4], filters},
                                                          &output_shape));
    Tensor* output = nullptr;
    OP_REQUIRES_OK(context, context->allocate_output(0, output_shape, &output));

    Firing f;
    f.increment = increment.flat<float>().data();
    f.initial = context->input(1).flat<float>().data();
    f.before = context->input(2).flat<float>().data();
    f.after = context->input(3).flat<float>().data();
    f.elapsed = context->input(4).scalar<float>()();
    f.neurons = neurons;
    // Each spike's step comes from the same closed form as the counts; counts that could
    // not come from it are an error, not a loop of billions of spikes.
    double spikes = 0;
    for (int64_t i = 0; i < increment.NumElements(); ++i) {
      const float count = f.after[i] - f.before[i];
      OP_REQUIRES(context, count >= 0 && count <= 1e9 && (f.increment[i] > 0 || count == 0),
                  absl::InvalidArgumentError("after - before must be >= 0, and spikes need increment > 0"));
      spikes += count;
    }

    Projection p;
    p.kernel = kernel.flat<float>().data();
    p.bias = bias.NumElements() == 0 ? nullptr : bias.flat<float>().data();
    p.spike_value = context->input(7).scalar<float>()();
    p.steps = steps_;
    p.rows = geometry_[0], p.cols = geometry_[1], p.channels = geometry_[2];
    p.k_rows = kernel.dim_size(0), p.k_cols = kernel.dim_size(1), p.filters = filters;
    p.out_rows = geometry_[3], p.out_cols = geometry_[4];
    p.stride_r = geometry_[5], p.stride_c = geometry_[6];
    p.dilation_r = geometry_[7], p.dilation_c = geometry_[8];
    p.pad_r = geometry_[9], p.pad_c = geometry_[10];
    p.output = output->flat<float>().data();

    // Samples in parallel: each writes its own slab of the output.
    const auto* workers = context->device()->tensorflow_cpu_worker_threads();
    const int64_t per_sample = static_cast<int64_t>(spikes / std::max<int64_t>(1, batch));
    const int64_t cost = steps_ * geometry_[3] * geometry_[4] * filters * 2 + per_sample * p.k_rows * p.k_cols * filters;
    tensorflow::Shard(workers->num_threads, workers->workers, batch, std::max<int64_t>(1, cost),
                      [&](int64_t begin, int64_t end) {
                        for (int64_t b = begin; b < end; ++b) FireSample(f, p, b);
                      });
  }

 private:
  int steps_ = 0;
  std::vector<int64_t> geometry_;
};

REGISTER_KERNEL_BUILDER(Name("SnnconvertFireInto").Device(tensorflow::DEVICE_CPU), FireIntoOp);

REGISTER_OP("SnnconvertGatedMaxPool")
    .Input("accumulated: double")  // [batch, size]: each input's sum over the run so far
    .Input("signal: float")        // [batch, steps, size], per step or running sum
    .Input("cells: int32")         // [cells, windows]: the positions of each window's cells
    .Attr("channels: int >= 1")    // size = positions * channels
    .Attr("channels_first: bool")
    .Attr("cumulative: bool")
    .Attr("tie_tolerance: float")
    .Output("gated: float")        // [batch, steps, windows * channels]
    .Output("new_accumulated: double")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->UnknownShapeOfRank(3));
      c->set_output(1, c->input(0));
      return absl::OkStatus();
    });

class GatedMaxPoolOp : public OpKernel {
 public:
  explicit GatedMaxPoolOp(OpKernelConstruction* context) : OpKernel(context) {
    OP_REQUIRES_OK(context, context->GetAttr("channels", &channels_));
    OP_REQUIRES_OK(context, context->GetAttr("channels_first", &channels_first_));
    OP_REQUIRES_OK(context, context->GetAttr("cumulative", &cumulative_));
    OP_REQUIRES_OK(context, context->GetAttr("tie_tolerance", &tie_tolerance_));
  }

  void Compute(OpKernelContext* context) override {
    const Tensor& accumulated = context->input(0);
    const Tensor& signal = context->input(1);
    const Tensor& cells = context->input(2);
    OP_REQUIRES(context, signal.dims() == 3 && accumulated.dims() == 2 &&
                             signal.dim_size(0) == accumulated.dim_size(0) &&
                             signal.dim_size(2) == accumulated.dim_size(1) && signal.dim_size(2) % channels_ == 0,
                absl::InvalidArgumentError("expected signal [batch, steps, size] and accumulated [batch, size], "
                                           "size a multiple of channels"));
    OP_REQUIRES(context, cells.dims() == 2 && cells.dim_size(0) >= 1,
                absl::InvalidArgumentError("cells must be [cells per window >= 1, windows]"));
    const int64_t positions = signal.dim_size(2) / channels_, windows = cells.dim_size(1);
    const auto listed = cells.flat<int32_t>();
    for (int64_t i = 0; i < listed.size(); ++i) {
      OP_REQUIRES(context, listed(i) >= 0 && listed(i) < positions,
                  absl::InvalidArgumentError("cells must be positions in [0, size / channels)"));
    }
    const int64_t batch = signal.dim_size(0), steps = signal.dim_size(1);
    Tensor* gated = nullptr;
    Tensor* new_accumulated = nullptr;
    OP_REQUIRES_OK(context, context->allocate_output(0, TensorShape({batch, steps, windows * channels_}), &gated));
    OP_REQUIRES_OK(context, context->allocate_output(1, accumulated.shape(), &new_accumulated));

    Gating g;
    g.accumulated = accumulated.flat<double>().data();
    g.signal = signal.flat<float>().data();
    g.cells = listed.data();
    g.tie_tolerance = tie_tolerance_;
    g.cumulative = cumulative_;
    g.steps = steps, g.positions = positions, g.channels = channels_, g.windows = windows;
    g.cell_count = cells.dim_size(0);
    // [positions, channels] or [channels, positions], and the output alike.
    g.position_stride = channels_first_ ? 1 : channels_;
    g.channel_stride = channels_first_ ? positions : 1;
    g.window_stride = channels_first_ ? 1 : channels_;
    g.out_channel_stride = channels_first_ ? windows : 1;
    g.gated = gated->flat<float>().data();
    g.new_accumulated = new_accumulated->flat<double>().data();

    const auto* workers = context->device()->tensorflow_cpu_worker_threads();
    const int64_t cost = steps * (signal.dim_size(2) * 4 + windows * channels_ * g.cell_count * 4);
    tensorflow::Shard(workers->num_threads, workers->workers, batch, std::max<int64_t>(1, cost),
                      [&g](int64_t begin, int64_t end) {
                        for (int64_t sample = begin; sample < end; ++sample) GateSample(g, sample);
                      });
  }

 private:
  int64_t channels_ = 1;
  bool channels_first_ = false;
  bool cumulative_ = false;
  float tie_tolerance_ = 0.0f;
};

REGISTER_KERNEL_BUILDER(Name("SnnconvertGatedMaxPool").Device(tensorflow::DEVICE_CPU), GatedMaxPoolOp);

}  // namespace snnconvert
