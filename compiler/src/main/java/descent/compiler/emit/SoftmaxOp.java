package descent.compiler.emit;

/** The last-axis softmax family {@link SoftmaxEmitter} compiles. */
public enum SoftmaxOp {
    SOFTMAX, LOG_SOFTMAX,
    /** softmax_cross_entropy_with_logits: f32 labels with the logits' shape. */
    XENT,
    /** sparse_softmax_cross_entropy_with_logits with {@code int[]} (i32) labels. */
    SPARSE_XENT_I32,
    /** sparse_softmax_cross_entropy_with_logits with {@code long[]} (i64) labels. */
    SPARSE_XENT_I64
}
