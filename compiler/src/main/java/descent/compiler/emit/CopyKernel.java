package descent.compiler.emit;

/** Copies the first {@code n} elements of one primitive array into another (of the same type). */
public interface CopyKernel {
    void run(Object src, Object dst, int n);
}
