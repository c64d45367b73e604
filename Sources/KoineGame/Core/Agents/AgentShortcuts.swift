/// The agents' exact shortcuts, read once when an agent is built to choose
/// its strategies. All on in training; tests switch one off to compare a
/// shortcut against the plain computation it replaces.
public struct AgentShortcuts {
    /// Listener: games with the same discrete message (or prefix) share one
    /// recurrent row (TableReader, MessageGroups).
    public var sharesMessages: Bool
    /// Both: relaxed (Gumbel straight-through) symbols enter through the
    /// input table, not per-game products (GamePass, TableReader).
    public var foldsRelaxedInputs: Bool
    /// Listener: the query layer folds into the object table when that is
    /// cheaper (FoldedScoring).
    public var foldsQuery: Bool
    /// Both: products with the table factor through the encoder's own
    /// structure when it offers one (`ObjectEncoder.factoredScoring`,
    /// `factoredTableProduct`); for the listener, with `foldsQuery`.
    public var factorsEncoder: Bool

    public init(sharesMessages: Bool = true, foldsRelaxedInputs: Bool = true, foldsQuery: Bool = true, factorsEncoder: Bool = true) {
        self.sharesMessages = sharesMessages
        self.foldsRelaxedInputs = foldsRelaxedInputs
        self.foldsQuery = foldsQuery
        self.factorsEncoder = factorsEncoder
    }
}
