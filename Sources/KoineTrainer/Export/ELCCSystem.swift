import KoineGame

/// What ELCC says of an emergent communication system as a whole, for the
/// game a Koine run played: ELCC counts each game with its agents as a
/// system of its own (EGG's discrimination and reconstruction games are two),
/// so each of Koine's games is one. See docs/elcc.md for which of these the
/// ELCC paper documents and which are Koine's reading of it.
struct ELCCSystem {
    /// The system's directory name under `systems/`.
    let name: String
    /// ELCC's taxonomy: every Koine game is a signalling game; the referential
    /// games are discrimination games, Lewis's game as EGG plays it a reconstruction game.
    let gameType = "signalling"
    let gameSubtype: String
    /// What the speaker observes: a vector of attribute values (discrete) or an image (continuous).
    let observationType: String
    let observationContinuous: Bool
    /// Synthetic (attribute tuples, rendered shapes) or natural (a photographic data set).
    let dataSource: String
    /// The paper whose game Koine plays, and that game's published code where Koine follows it.
    let paper: String
    let gameCode: String?

    init(configuration: Configuration) {
        let kind = configuration.game.kind
        name = "koine-" + kind.rawValue
        switch kind {
        case .attributes:
            gameSubtype = "discrimination"
            observationType = "vector"
            observationContinuous = false
            dataSource = "synthetic"
            paper = "Li & Bowling (2019), Ease-of-Teaching and Language Structure from Emergent Communication, NeurIPS"
            gameCode = "https://github.com/FushanLi/Ease-of-teaching-and-language-structure"
        case .images:
            gameSubtype = "discrimination"
            observationType = "image"
            observationContinuous = true
            dataSource = configuration.game.images.dataset == .shapes ? "synthetic" : "natural"
            paper = "Havrylov & Titov (2017), Emergence of Language with Multi-agent Games: Learning to Communicate with Sequences of Symbols, NeurIPS; as Mihai & Hare (2019), Avoiding hashing and encouraging visual semantics in referential emergent language games, study it"
            gameCode = nil
        case .reconstruction:
            gameSubtype = "reconstruction"
            observationType = "vector"
            observationContinuous = false
            dataSource = "synthetic"
            paper = "Lewis (1969), Convention; as EGG plays it: Kharitonov et al. (2019), EGG: a toolkit for research on Emergence of lanGuage in Games, EMNLP-IJCNLP (demonstrations)"
            gameCode = "https://github.com/facebookresearch/EGG"
        }
    }
}
