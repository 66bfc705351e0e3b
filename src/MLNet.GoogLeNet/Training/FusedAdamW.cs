using System.Numerics;
using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter 2019) computed as <see cref="AdamW"/> computes it, with each parameter's update made in
/// one pass over its memory on the CPU: decoupled weight decay, both moments and the step, element by element in vector
/// registers.
/// </summary>
/// <remarks>
/// <para>TorchSharp's step makes nine passes over each parameter tensor — each a native call, two of them allocating a
/// temporary the size of the parameter — so it reads and writes the parameters, gradients and moments several times
/// over. At the main command's 32×32, where a step has little arithmetic, that is a measurable share of the step
/// (docs/performance.md). One pass reads a parameter, its gradient and its two moments once and writes three of them
/// once.</para>
/// <para>The state is TorchSharp's own (<see cref="AdamW.State"/>: the step count and the two moments), so checkpoints,
/// resumption and <c>state_dict</c> see an AdamW. The fused pass needs float32 CPU tensors laid out densely, the moments
/// like their parameter (as AdamW makes them), and neither AMSGrad nor maximize; otherwise — a GPU, another element
/// type — every step is TorchSharp's. A gradient laid out unlike its parameter is copied into the parameter's layout
/// first.</para>
/// </remarks>
internal sealed class FusedAdamW : AdamW
{
    /// <summary>Whether every parameter can take the one pass; decided at the first step.</summary>
    private bool? _fusable;

    public FusedAdamW(IEnumerable<ParamGroup> groups, double rate) : base(groups, rate)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure is not null || !(_fusable ??= Fusable()))
            return base.step(closure);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            double rate = options.LearningRate!.Value, beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
            float decay = (float)(1 - rate * options.weight_decay!.Value);
            foreach (var parameter in group.Parameters)
            {
                var gradient = parameter.grad;
                if (gradient is null)
                    continue;
                var state = (State)_state[parameter.Handle];
                state.step += 1;
                double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
                if (!SameLayout(gradient, parameter))
                    gradient = empty_strided(parameter.shape, parameter.stride()).copy_(gradient);
                var update = new Update(decay, (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
                    (float)Math.Sqrt(correction2), (float)options.eps!.Value, (float)(rate / correction1));
                unsafe
                {
                    update.Apply(Pointer(parameter), Pointer(gradient), Pointer(state.exp_avg), Pointer(state.exp_avg_sq), parameter.numel());
                }
            }
        }
        return null!;
    }

    /// <summary>
    /// TorchSharp's own AdamW over the same parameter groups and options, with moments of its own: the reference the one
    /// pass is checked (FusedAdamWTests) and timed (the bench's row (o)) against.
    /// </summary>
    internal AdamW TorchSharpStep() => new(
        [.. _parameter_groups.Cast<ParamGroup>().Select(group => new ParamGroup(group.Parameters, (Options)group.Options))]);

    /// <summary>One step's numbers for a parameter, as TorchSharp's AdamW rounds them to the tensor's float32.</summary>
    private readonly record struct Update(float Decay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float Correction2Root, float Epsilon, float StepSize)
    {
        /// <summary>
        /// p ← p·decay; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − stepSize · m / (√v / √(1−β₂ᵗ) + ε).
        /// </summary>
        public unsafe void Apply(float* p, float* g, float* m, float* v, long count)
        {
            long i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var decay = new Vector<float>(Decay);
                var beta1 = new Vector<float>(Beta1);
                var oneMinusBeta1 = new Vector<float>(OneMinusBeta1);
                var beta2 = new Vector<float>(Beta2);
                var oneMinusBeta2 = new Vector<float>(OneMinusBeta2);
                var correction2Root = new Vector<float>(Correction2Root);
                var epsilon = new Vector<float>(Epsilon);
                var stepSize = new Vector<float>(StepSize);
                for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var gradient = Unsafe.ReadUnaligned<Vector<float>>(g + i);
                    var first = Unsafe.ReadUnaligned<Vector<float>>(m + i) * beta1 + gradient * oneMinusBeta1;
                    var second = Unsafe.ReadUnaligned<Vector<float>>(v + i) * beta2 + gradient * gradient * oneMinusBeta2;
                    var denominator = Vector.SquareRoot(second) / correction2Root + epsilon;
                    var parameter = Unsafe.ReadUnaligned<Vector<float>>(p + i) * decay;
                    Unsafe.WriteUnaligned(m + i, first);
                    Unsafe.WriteUnaligned(v + i, second);
                    Unsafe.WriteUnaligned(p + i, parameter - stepSize * (first / denominator));
                }
            }
            for (; i < count; i++)
            {
                float gradient = g[i];
                float first = m[i] * Beta1 + gradient * OneMinusBeta1;
                float second = v[i] * Beta2 + gradient * gradient * OneMinusBeta2;
                m[i] = first;
                v[i] = second;
                p[i] = p[i] * Decay - StepSize * (first / (MathF.Sqrt(second) / Correction2Root + Epsilon));
            }
        }
    }

    private bool Fusable()
    {
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            if (options.amsgrad == true || options.maximize == true)
                return false;
            foreach (var parameter in group.Parameters)
            {
                var state = (State)_state[parameter.Handle];
                if (parameter.device_type != DeviceType.CPU || parameter.dtype != ScalarType.Float32 || !IsDense(parameter)
                    || !SameLayout(state.exp_avg, parameter) || !SameLayout(state.exp_avg_sq, parameter))
                    return false;
            }
        }
        return true;
    }

    private static bool SameLayout(Tensor tensor, Tensor like) =>
        tensor.device_type == like.device_type && tensor.dtype == like.dtype
        && tensor.shape.SequenceEqual(like.shape) && tensor.stride().SequenceEqual(like.stride());

    /// <summary>
    /// True when the tensor's elements fill a block of memory exactly once (contiguous in some order of its dimensions,
    /// as row-major and channels-last tensors are), so that one pass over <c>numel</c> elements from its first visits each.
    /// </summary>
    internal static bool IsDense(Tensor tensor)
    {
        long[] shape = tensor.shape, strides = tensor.stride();
        long expected = 1;
        foreach (int dimension in Enumerable.Range(0, shape.Length).Where(d => shape[d] != 1).OrderBy(d => strides[d]))
        {
            if (strides[dimension] != expected)
                return false;
            expected *= shape[dimension];
        }
        return true;
    }

    private static unsafe float* Pointer(Tensor tensor) =>
        (float*)tensor.storage<float>().data_ptr() + tensor.storage_offset();
}
