import CProcessor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which width of Koine's own hottest kernels (Adam's update, the LSTM's
/// activations, the small row and dot products) runs: eight lanes, as the numeric modules are
/// built (AVX2), or sixteen (AVX-512), from `KoineAVX512`, on processors that
/// have it. `selected` is chosen once, when the process starts, and each
/// object that runs such a kernel (an `Adam`, an `LSTMCell`) takes it when
/// built. The two agree bit for bit, so training does not depend on the
/// choice, only its speed.
/// `KOINE_SIMD=avx2` keeps eight lanes on an AVX-512 machine (to compare,
/// or where 512-bit instructions slow the clock); `avx512` insists.
public enum VectorKernels: String, CaseIterable, Sendable {
    case avx2
    case avx512

    /// The environment variable that chooses, and what it says if it cannot be honoured.
    public static let variable = "KOINE_SIMD"

    /// What this process runs.
    public static let selected = choose(requested: requested, processorRunsAVX512: processorRunsAVX512)

    /// Whether the processor (and the OS) run the AVX-512 subsets the wide kernels use.
    public static let processorRunsAVX512 = koine_processor_runs_avx512() != 0

    /// `KOINE_SIMD` as set, nil when unset or empty.
    public static var requested: String? {
        guard let value = getenv(variable).map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value
    }

    /// The kernels for a request (nil: the widest the processor runs); eight
    /// lanes when the request is refused (`refusal` says why).
    public static func choose(requested: String?, processorRunsAVX512: Bool) -> VectorKernels {
        guard let requested else { return processorRunsAVX512 ? .avx512 : .avx2 }
        if refusal(requested: requested, processorRunsAVX512: processorRunsAVX512) != nil { return .avx2 }
        return VectorKernels(rawValue: requested) ?? .avx2
    }

    /// Why `KOINE_SIMD` cannot be honoured: a name that is none of the
    /// kernels' (a user's mistake), or AVX-512 on a processor without it (the
    /// environment's).
    public enum Refusal: Error, Equatable {
        case unknownName(String)
        case processorLacksAVX512

        public var line: String {
            switch self {
            case .unknownName(let name): "\(VectorKernels.variable)=\(name): expected avx2 or avx512"
            case .processorLacksAVX512:
                "\(VectorKernels.variable)=avx512: this processor (or its operating system) does not run AVX-512; unset it or set avx2"
            }
        }
    }

    public static func refusal(requested: String?, processorRunsAVX512: Bool) -> Refusal? {
        guard let requested else { return nil }
        guard let kernels = VectorKernels(rawValue: requested) else { return .unknownName(requested) }
        return kernels == .avx512 && !processorRunsAVX512 ? .processorLacksAVX512 : nil
    }
}
