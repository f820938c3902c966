package dev.descent.tfgolden;

/** Input data generators. Random values are rounded to 3 decimals, so the JSON stays readable. */
final class Gens {
  private Gens() {}

  static double round3(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }

  /** Uniform in [lo, hi], 3 decimals. */
  static Case.Gen u(double lo, double hi) {
    return (r, n) -> {
      double[] d = new double[n];
      for (int i = 0; i < n; i++) d[i] = round3(lo + (hi - lo) * r.nextDouble());
      return d;
    };
  }

  /** The default: uniform in [-2, 2]. */
  static Case.Gen u() {
    return u(-2, 2);
  }

  /** |v| uniform in [minAbs, maxAbs], random sign (divisors, reciprocals). */
  static Case.Gen awayFromZero(double minAbs, double maxAbs) {
    return (r, n) -> {
      double[] d = new double[n];
      for (int i = 0; i < n; i++) {
        double m = round3(minAbs + (maxAbs - minAbs) * r.nextDouble());
        d[i] = r.nextBoolean() ? m : -m;
      }
      return d;
    };
  }

  /** Exactly these values (length must match the shape). */
  static Case.Gen vals(double... v) {
    return (r, n) -> v.clone();
  }

  /** Integers uniform in [lo, hiExclusive). */
  static Case.Gen ints(int lo, int hiExclusive) {
    return (r, n) -> {
      double[] d = new double[n];
      for (int i = 0; i < n; i++) d[i] = lo + r.nextInt(hiExclusive - lo);
      return d;
    };
  }

  /** Random picks from the given values. */
  static Case.Gen pick(double... choices) {
    return (r, n) -> {
      double[] d = new double[n];
      for (int i = 0; i < n; i++) d[i] = choices[r.nextInt(choices.length)];
      return d;
    };
  }

  /** A base generator with some positions overwritten by exact values (ties, kinks): idx, value, idx, value... */
  static Case.Gen with(Case.Gen base, double... idxVal) {
    return (r, n) -> {
      double[] d = base.make(r, n);
      for (int i = 0; i + 1 < idxVal.length; i += 2) d[(int) idxVal[i]] = idxVal[i + 1];
      return d;
    };
  }

  /** Rows of soft labels (probability vectors, 3 decimals, each row summing to 1.000 in decimal). */
  static Case.Gen softLabels(int cols) {
    return (r, n) -> {
      double[] d = new double[n];
      for (int row = 0; row < n / cols; row++) {
        double[] w = new double[cols];
        double s = 0;
        for (int j = 0; j < cols; j++) {
          w[j] = 0.05 + r.nextDouble();
          s += w[j];
        }
        long used = 0;
        for (int j = 0; j < cols - 1; j++) {
          long milli = Math.round(1000 * w[j] / s);
          d[row * cols + j] = milli / 1000.0;
          used += milli;
        }
        d[row * cols + cols - 1] = (1000 - used) / 1000.0;
      }
      return d;
    };
  }

  /** Rows of one-hot labels with a random hot class. */
  static Case.Gen oneHotLabels(int cols) {
    return (r, n) -> {
      double[] d = new double[n];
      for (int row = 0; row < n / cols; row++) d[row * cols + r.nextInt(cols)] = 1.0;
      return d;
    };
  }

  /** Independent random labels in [0, 1] (sigmoid cross entropy). */
  static Case.Gen unit() {
    return u(0, 1);
  }
}
