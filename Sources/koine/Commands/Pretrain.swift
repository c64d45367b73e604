import ArgumentParser
import Foundation
import KoineGame
import KoineTelemetry
import KoineTensor
import KoineTrainer

/// `koine pretrain`: trains the visual encoder of an image-game config as a
/// classifier of its data set's labels and writes the weights file that
/// `agents.visual.mode: pretrained` reads — Koine's stand-in for ImageNet
/// pretraining, which cannot be had here.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pretrain an image config's visual encoder as a classifier and write its weights file.",
        discussion: """
            Reads the data set (game.dataset, game.dataset_path) and the encoder's shape (agents.visual.widths, \
            convolutions, batch_norm) from --config, trains the stack with a linear head over the data set's \
            classes (cross-entropy, Adam, shuffled batches, batch norm in training mode), reports training and \
            test accuracy after each epoch, and writes the stack's weights and running statistics to --out. \
            This stands in for Mihai & Hare's ImageNet-pretrained VGG16: the stack learns the data set's own \
            labels instead of ImageNet's.
            Example: koine pretrain --config configs/mihai-hare/pretrained.yaml --out data/cifar10-encoder.weights --epochs 5
            """)

    @Option(help: "An image-game configuration (its data set and agents.visual are used).") var config: String
    @Option(name: .customLong("set"), help: "Override a configuration key (repeatable).") var overrides: [String] = []
    @Option(help: "The weights file to write (must not exist).") var out: String
    @Option(help: "Passes over the training images.") var epochs = 5
    @Option(help: "Images per step.") var batch = 128
    @Option(help: "Adam's learning rate.") var lr: Float = 0.001
    @Flag(help: "No progress line.") var quiet = false

    func run() throws {
        guard epochs >= 1 && epochs <= 1_000_000 else { throw UsageFailure("pretrain: --epochs must be from 1 to 1000000 (got \(epochs))") }
        guard batch >= 1 else { throw UsageFailure("pretrain: --batch must be at least 1 (got \(batch))") }
        guard lr > 0 && lr.isFinite else { throw UsageFailure("pretrain: --lr must be a positive number (got \(lr))") }
        guard !out.isEmpty, !out.hasSuffix("/") else {
            throw UsageFailure("pretrain: --out \"\(out)\": expected a file name for the weights")
        }
        guard !FileManager.default.fileExists(atPath: out) else {
            throw UsageFailure("pretrain: --out \(out): exists; remove it or choose another path (nothing is overwritten)")
        }
        let directory = URL(fileURLWithPath: out).deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw UsageFailure("pretrain: --out \(out): the directory \(directory) does not exist or is not writable")
        }
        let configuration: Configuration
        let dataset: ImageDataset
        do {
            configuration = try Configuration.load(file: config, overrides: overrides)
            guard configuration.game.kind == .images else {
                throw ConfigurationError("\(config): game.kind: pretraining needs an image game (images), got \(configuration.game.kind.rawValue)")
            }
            dataset = try configuration.game.images.loadDataset()
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
        guard batch <= dataset.train.count else {
            throw UsageFailure("pretrain: --batch \(batch): the data set has \(dataset.train.count) training images")
        }
        BLAS.prepareComputeThread()
        let total = epochs * (dataset.train.count / batch)
        say("pretraining a stack (\(configuration.agents.visual.encoderSettings.layout(inputChannels: dataset.channels))) on \(dataset.train.count) \(dataset.kind.rawValue) images, \(dataset.classNames.count) classes, \(total) steps of \(batch)")
        // The last use of the data set's splits: pretraining keeps one copy of the images.
        let pretraining = try VisualPretraining(dataset: dataset, settings: configuration.agents.visual.encoderSettings, batch: batch,
                                                learningRate: lr, seed: UInt64(configuration.seed))
        let progress = Progress(enabled: !quiet)
        let started = Date()
        var done = 0
        for epoch in 1...epochs {
            var loss = 0.0, accuracy = 0.0
            for _ in 0..<pretraining.stepsPerEpoch {
                let result = pretraining.step()
                guard result.loss.isFinite else { diverged("the loss is \(result.loss.isNaN ? "NaN" : "\(result.loss)") at epoch \(epoch), step \(done + 1)", progress) }
                loss += Double(result.loss)
                accuracy += result.accuracy
                done += 1
                let elapsed = Date().timeIntervalSince(started)
                progress.show("epoch \(epoch)/\(epochs) step \(done)/\(total) (ETA \(Format.duration(elapsed / Double(done) * Double(total - done))))  loss \(String(format: "%.3f", loss / Double(done - (epoch - 1) * pretraining.stepsPerEpoch)))")
            }
            let steps = Double(pretraining.stepsPerEpoch)
            progress.finish()
            say(String(format: "epoch %d: training loss %.3f, training accuracy %.3f, test accuracy %.3f",
                       epoch, loss / steps, accuracy / steps, pretraining.testAccuracy()))
        }
        // Written beside, then renamed: a half-written file never has the name.
        let partial = out + ".partial"
        let file = pretraining.file
        if let bad = (file.parameters + file.statistics).first(where: { !$0.isFinite }) {
            diverged("the weights hold \(bad.isNaN ? "NaN" : "\(bad)")", progress)
        }
        do {
            try file.write(to: partial)
            try FileManager.default.moveItem(atPath: partial, toPath: out)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            FileHandle.standardError.write(Data("koine: pretrain: --out \(out): cannot write the weights (\(FileErrorText.reason(error)))\n".utf8))
            throw ExitCode(1)
        }
        say("wrote \(out)")
    }

    /// Non-finite figures: training diverged. One line, exit 1, no weights file.
    private func diverged(_ what: String, _ progress: KoineTrainer.Progress) -> Never {
        progress.finish()
        FileHandle.standardError.write(Data("koine: pretrain: \(what): training diverged (lower --lr, now \(lr)); \(out) not written\n".utf8))
        Foundation.exit(1)
    }

    private func say(_ line: String) {
        FileHandle.standardError.write(Data((TerminalText.safe(line) + "\n").utf8))
    }
}
