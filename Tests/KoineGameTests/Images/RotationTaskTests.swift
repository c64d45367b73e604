import KoineGame
import KoineTensor
import XCTest

/// The receiver's rotation head reads the listener's state after the
/// message: its loss's gradients into the head, the listener and the
/// message (per-game products, so the message's values enter the forward)
/// against finite differences.
final class RotationTaskTests: XCTestCase {
    func testReceiverGradientsReachTheListenerAndTheMessage() throws {
        let games = 8, vocabulary = 5, length = 3
        let settings = AgentSettings(vocabulary: vocabulary, messageLength: length, hidden: 6, channel: .gumbel)
        // Per-game products, so the message's values enter the listener's forward.
        let fixture = try AgentFixture(settings: settings, games: games, shortcuts: AgentShortcuts(foldsRelaxedInputs: false))
        let (space, encoder, speaker, listener, batch, arena) =
            (fixture.space, fixture.encoder, fixture.speaker, fixture.listener, fixture.batch, fixture.arena)
        var random = Random(seed: 5)
        let rotations = arena.indices(space.count)
        for object in 0..<space.count { rotations[object] = object % 4 }
        let task = RotationTask(side: .receiver, listeners: 1, hidden: 6, capacity: games, optimizer: settings.optimizer,
                                random: Random(seed: 6))
        encoder.forward()
        speaker.speak(targets: batch.targets, random: &random, greedy: true)
        func loss() -> Double {
            var unused = Random(seed: 0)
            listener.listen(to: speaker.message, batch: batch, random: &unused, greedy: true)
            return Double(task.forwardReceiver(listener, index: 0, targets: batch.targets, rotations: rotations).loss)
        }
        _ = loss()
        listener.module.parameters.zeroGradients()
        task.heads[0].module.parameters.zeroGradients()
        encoder.module.parameters.zeroGradients()
        speaker.message.zeroGradients()
        task.backwardReceiver(listener, index: 0, weight: 1)
        listener.backwardFromState()
        XCTAssertEqual(encoder.tableGradient.array.map(abs).max(), 0, "no game loss: nothing reaches the candidates' encodings")
        let head = task.heads[0].module.parameters, own = listener.module.parameters
        assertFiniteDifferences(values: head.values, gradients: head.gradients, count: head.count, label: "head", loss: loss)
        assertFiniteDifferences(values: own.values, gradients: own.gradients, count: own.count, label: "listener", loss: loss)
        for t in 0..<length {
            assertFiniteDifferences(values: speaker.message.oneHot[t].base, gradients: speaker.message.gradients[t].base,
                                    count: games * vocabulary, label: "message step \(t)", loss: loss)
        }
    }
}
