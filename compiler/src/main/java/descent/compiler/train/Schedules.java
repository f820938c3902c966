package descent.compiler.train;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.IrException;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import java.util.List;

/**
 * tf.train's learning-rate schedules (learning_rate_decay.py), built as TensorFlow 1 builds them: every
 * argument is a scalar node; {@code globalStep} is cast to the learning rate's dtype. The result is a
 * scalar tensor of the step, usable as any hyperparameter.
 */
public final class Schedules {
    private final GraphBuilder b;
    private final DType dt;

    public Schedules(GraphBuilder b, DType dtype) {
        this.b = b;
        this.dt = dtype;
    }

    /** {@code x} as a scalar of the schedule's dtype. */
    public int f(int x) {
        if (b.shape(x).rank() != 0) throw new IrException("schedule arguments must be scalars, got " + b.type(x), null);
        return b.dtype(x) == dt ? x : b.cast(x, dt);
    }

    private int c(double v) { return b.scalar(v, dt); }
    private int add(int x, int y) { return b.binary(BinaryFn.ADD, x, y); }
    private int sub(int x, int y) { return b.binary(BinaryFn.SUB, x, y); }
    private int mul(int x, int y) { return b.binary(BinaryFn.MUL, x, y); }
    private int div(int x, int y) { return b.binary(BinaryFn.DIV, x, y); }
    private int floor(int x) { return b.unary(UnaryFn.FLOOR, x); }
    private int cos(int x) { return b.unary(UnaryFn.COS, x); }

    private int progress(int globalStep, int decaySteps, boolean staircase) {
        int p = div(f(globalStep), f(decaySteps));
        return staircase ? floor(p) : p;
    }

    public int exponentialDecay(int lr, int globalStep, int decaySteps, int decayRate, boolean staircase) {
        return mul(f(lr), b.binary(BinaryFn.POW, f(decayRate), progress(globalStep, decaySteps, staircase)));
    }

    public int inverseTimeDecay(int lr, int globalStep, int decaySteps, int decayRate, boolean staircase) {
        return div(f(lr), add(c(1), mul(f(decayRate), progress(globalStep, decaySteps, staircase))));
    }

    public int naturalExpDecay(int lr, int globalStep, int decaySteps, int decayRate, boolean staircase) {
        int exponent = b.unary(UnaryFn.EXP, mul(b.unaryAnyNumber(UnaryFn.NEG, f(decayRate)), progress(globalStep, decaySteps, staircase)));
        return mul(f(lr), exponent);
    }

    /**
     * x <= b0 → v0; b(i-1) < x <= b(i) → v(i); x > b(last) → v(last); a NaN x → v0, TF's {@code case} default when no
     * condition holds. Boundaries compare in x's dtype.
     */
    public int piecewiseConstant(int x, List<Integer> boundaries, List<Integer> values) {
        if (values.size() != boundaries.size() + 1) {
            throw new IrException("The length of boundaries should be 1 less than the length of values",
                    boundaries.size() + " boundaries need " + (boundaries.size() + 1) + " values");
        }
        int result = f(values.get(0));
        for (int i = 0; i < boundaries.size(); i++) {
            int bound = boundaries.get(i);
            if (b.dtype(bound) != b.dtype(x)) bound = b.cast(bound, b.dtype(x));
            result = b.select(b.binary(BinaryFn.GREATER, x, bound), f(values.get(i + 1)), result);
        }
        return result;
    }

    public int polynomialDecay(int lr, int globalStep, int decaySteps, int endLr, int power, boolean cycle) {
        int gs = f(globalStep), steps = f(decaySteps);
        if (cycle) {
            int multiplier = b.select(b.binary(BinaryFn.EQUAL, gs, c(0)), c(1), b.unary(UnaryFn.CEIL, div(gs, steps)));
            steps = mul(steps, multiplier);
        } else {
            gs = b.binary(BinaryFn.MIN, gs, steps);
        }
        int p = div(gs, steps);
        return add(mul(sub(f(lr), f(endLr)), b.binary(BinaryFn.POW, sub(c(1), p), f(power))), f(endLr));
    }

    public int cosineDecay(int lr, int globalStep, int decaySteps, int alpha) {
        int gs = b.binary(BinaryFn.MIN, f(globalStep), f(decaySteps));
        int fraction = div(gs, f(decaySteps));
        int cosine = mul(c(0.5), add(c(1), cos(mul(c(Math.PI), fraction))));
        int decayed = add(mul(sub(c(1), f(alpha)), cosine), f(alpha));
        return mul(f(lr), decayed);
    }

    public int cosineDecayRestarts(int lr, int globalStep, int firstDecaySteps, int tMul, int mMul, int alpha) {
        int fraction = div(f(globalStep), f(firstDecaySteps));
        // Geometric restarts when t_mul != 1, else unit-length periods (TF's cond on t_mul == 1).
        int iGeo = floor(div(b.unary(UnaryFn.LOG, sub(c(1), mul(fraction, sub(c(1), f(tMul))))), b.unary(UnaryFn.LOG, f(tMul))));
        int sumR = div(sub(c(1), b.binary(BinaryFn.POW, f(tMul), iGeo)), sub(c(1), f(tMul)));
        int fracGeo = div(sub(fraction, sumR), b.binary(BinaryFn.POW, f(tMul), iGeo));
        int iUnit = floor(fraction);
        int fracUnit = sub(fraction, iUnit);
        int unit = b.binary(BinaryFn.EQUAL, f(tMul), c(1));
        int iRestart = b.select(unit, iUnit, iGeo);
        int completed = b.select(unit, fracUnit, fracGeo);
        int mFac = b.binary(BinaryFn.POW, f(mMul), iRestart);
        int cosine = mul(mul(c(0.5), mFac), add(c(1), cos(mul(c(Math.PI), completed))));
        int decayed = add(mul(sub(c(1), f(alpha)), cosine), f(alpha));
        return mul(f(lr), decayed);
    }

    public int linearCosineDecay(int lr, int globalStep, int decaySteps, int numPeriods, int alpha, int beta) {
        int steps = f(decaySteps);
        int gs = b.binary(BinaryFn.MIN, f(globalStep), steps);
        int linear = div(sub(steps, gs), steps);
        int fraction = div(gs, steps);
        int frac = mul(mul(c(2), f(numPeriods)), fraction);
        int cosine = mul(c(0.5), add(c(1), cos(mul(c(Math.PI), frac))));
        int decayed = add(mul(add(f(alpha), linear), cosine), f(beta));
        return mul(f(lr), decayed);
    }
}
