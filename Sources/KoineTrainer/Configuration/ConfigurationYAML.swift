extension Configuration {
    /// The resolved configuration as YAML, every key present, in the order
    /// the README documents them.
    public var yaml: String {
        func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
        func number(_ x: Double) -> String {
            x == x.rounded() && abs(x) < 1e15 ? String(format: "%.1f", x) : String(x)
        }
        return """
        seed: \(seed)
        game:
          kind: \(game.rawValue)
          attributes: \(list(attributes))
          holdout: \(holdout)
          candidates: \(candidates)
          vocab: \(vocabulary)
          message_length: \(messageLength)
          variable_length: \(variableLength)
        agents:
          cell: \(cell.rawValue)
          hidden: \(hidden)
          channel: \(channel.rawValue)
          entropy: \(number(entropy))
          temperature: \(number(temperature))
          baseline: \(baseline.rawValue)
          encoder: \(encoder.rawValue)
        population:
          speakers: \(speakers)
          listeners: \(listeners)
          pairing: \(pairing.rawValue)
          cross_rank: \(number(crossRank))
          reset:
            listeners: {mode: \(listenerReset.mode.rawValue), every: \(listenerReset.every)}
            speakers: {mode: \(speakerReset.mode.rawValue), every: \(speakerReset.every)}
        train:
          steps: \(steps)
          batch: \(batch)
          optimizer: {kind: \(optimizer.rawValue), lr: \(number(learningRate)), momentum: \(number(momentum)), clip: \(number(clip))}
          log_every: \(logEvery)
          check_every: \(checkEvery)
          checkpoint: {every: \(checkpointEvery), keep: \(checkpointKeep)}
        eval:
          every: \(evalEvery)
          distance: \(distance.rawValue)
          ease_of_teaching: {every: \(easeEvery), listeners: \(easeListeners), steps: \(easeSteps)}
        telemetry:
          endpoint: \(telemetryEndpoint)
          every: \(telemetryEvery)

        """
    }
}

import Foundation
