import KoineGame
import KoineTensor

extension Configuration {
    /// The game this configuration plays; `random` draws whatever the game
    /// fixes for the whole run (the attribute game's held-out combinations).
    func makeGame(random: Random) throws -> ReferentialGame {
        switch game {
        case .attributes:
            return try AttributeGame(attributes: attributes, holdout: holdout, candidates: candidates,
                                     distance: distance, random: random)
        }
    }
}
