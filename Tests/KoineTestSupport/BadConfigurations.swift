/// Configurations that must be refused, each with the `--set` overrides
/// applied to it and the fragments its one-line error must contain. Read
/// as `bad.yaml`; the configuration tests parse them in process and the
/// command tests run `koine train` on each.
public enum BadConfigurations {
    public static let cases: [(yaml: String, overrides: [String], expected: [String])] = [
        ("game: {vocabb: 8}", [], ["game.vocabb", "did you mean game.vocab"]),
        ("game: {}\ntrain: {stpes: 5}", [], ["train.stpes", "did you mean train.steps"]),
        ("game: {}\nagents: {hiden: 5}", [], ["agents.hiden", "did you mean agents.hidden"]),
        ("game: {}\nbanana: 1", [], ["unknown key banana"]),
        ("game: {vocab: eight}", [], ["game.vocab", "whole number"]),
        ("game: {attributes: 8}", [], ["game.attributes", "list"]),
        ("game: {attributes: [8, x]}", [], ["game.attributes"]),
        ("game: {attributes: [8, 0]}", [], ["game.attributes"]),
        ("game: {}\nagents: {cell: rnn}", [], ["agents.cell", "lstm", "gru"]),
        ("game: {}\nagents: {entropy: lots}", [], ["agents.entropy", "number"]),
        ("game: {variable_length: maybe}", [], ["game.variable_length", "true or false"]),
        ("game: {vocab: 1}", [], ["game.vocab", "at least 2"]),
        ("game: {message_length: 0}", [], ["game.message_length", "at least 1"]),
        ("game: {attributes: [2, 2], candidates: 5}", [], ["game.candidates"]),
        ("game: {attributes: [4, 4], holdout: 10, candidates: 7}", [], ["game.candidates"]),
        ("game: {}\nagents: {hidden: 0}", [], ["agents.hidden", "at least 1"]),
        ("game: {}\ntrain: {optimizer: {lr: -0.1}}", [], ["train.optimizer.lr"]),
        ("game: {}\ntrain: {optimizer: {lr: 0}}", [], ["train.optimizer.lr"]),
        ("game: {}\nagents: {temperature: 0}", [], ["agents.temperature"]),
        ("game: {}\ntrain: {steps: 0}", [], ["train.steps"]),
        ("game: {}\npopulation: {reset: {listeners: {mode: staggered}}}", [], ["population.reset.listeners.every"]),
        ("game: {}\npopulation: {listeners: 10, reset: {listeners: {mode: staggered, every: 5}}}", [],
         ["population.reset.listeners.every"]),
        ("game: {}\npopulation: {reset: {listeners: {mode: often, every: 5}}}", [], ["population.reset.listeners.mode"]),
        ("game: {attributes: [4, 4], holdout: 13, candidates: 3}", [], ["game.holdout", "unseen"]),
        ("game: {attributes: [8, 4], holdout: 25, candidates: 3}", [], ["game.holdout"]),
        ("game: {}", ["train.steps"], ["--set train.steps", "key.path=value"]),
        ("game: {}", ["=3"], ["--set =3"]),
        ("game: {}", ["train..steps=3"], ["--set train..steps=3"]),
        ("game: {}", ["train.stepz=3"], ["train.stepz", "did you mean train.steps"]),
        ("game: {}", ["train.steps=many"], ["train.steps", "whole number"]),
        ("seed: 3", ["seed.x=1"], ["--set seed.x", "not a mapping"]),
        ("game: {}", ["seed.x=1"], ["seed", "expected a whole number"]),
        ("game: [1, 2", [], ["bad.yaml", "malformed YAML"]),
        ("game: {vocab: 3\n", [], ["bad.yaml", "malformed YAML"]),
        ("game: {}\ngame: {}", [], ["bad.yaml", "game"]),
        ("game: 3", [], ["bad.yaml: game", "expected a mapping"]),
        ("game: {}\npopulation: {reset: {listeners: sequential}}", [], ["population.reset.listeners", "expected a mapping"]),
        ("seed: 3", [], ["missing key game"]),
        ("", [], ["missing key game"]),
        ("just text", [], ["bad.yaml", "mapping"]),
        ("- 1\n- 2", [], ["bad.yaml", "mapping"]),
        ("game: {}\ntelemetry: {endpoint: 'http://localhost:5557'}", [], ["telemetry.endpoint"]),
        ("game: {}\ntelemetry: {endpoint: 'tcp://localhost'}", [], ["telemetry.endpoint"]),
        ("game: {}\ntelemetry: {endpoint: 'tcp://localhost:70000'}", [], ["telemetry.endpoint"]),
        ("game: {}\ntelemetry: {endpoint: 'tcp://:5557'}", [], ["telemetry.endpoint"]),
        ("game: {}\ntelemetry: {endpoint: 'tcp://'}", [], ["telemetry.endpoint"]),
        ("game: {}\npopulation: {cross_rank: 1.5}", [], ["population.cross_rank", "at most 1"]),
        ("game: {}\npopulation: {pairing: random}", [], ["population.pairing", "round_robin"]),
        ("game: {}\neval: {distance: euclid}", [], ["eval.distance", "cosine"]),
        ("game: {}\ngame.vocab: 3", [], ["game.vocab", "cannot contain"]),
        ("game: {}\ntrain: {optimizer.lr: 3}", [], ["train.optimizer.lr", "cannot contain"]),
        ("game: {kind: pictures}", [], ["game.kind"]),
        ("game: {kind: images, dataset: cifar10}", [], ["game.dataset_path"]),
        ("game: {kind: images, candidates: 200}", [], ["game.candidates"]),
        ("game: {kind: images}\nagents: {visual: {mode: pretrained}}", [], ["agents.visual.weights"]),
        ("game: {kind: images, dataset: mnist}", [], ["game.dataset"]),
        ("game: {kind: images}\neval: {ease_of_teaching: {every: 100}}", [], ["eval.ease_of_teaching.every"]),
    ] + rotationTask + sizes + yaml + endpoints + values

    /// Mihai & Hare's augmentations and rotation task, outside what they support.
    static let rotationTask: [(yaml: String, overrides: [String], expected: [String])] = {
        let task = "game: {kind: images}\nagents: {channel: gumbel, rotation_task: sender}"
        return [
            ("game: {augment: {noise: 0.1}}", [], ["game.augment.noise", "image game"]),
            ("game: {augment: {rotation: quarter_turns}}", [], ["game.augment.rotation", "image game"]),
            ("game: {kind: images, augment: {noise: -1}}", [], ["game.augment.noise"]),
            ("game: {kind: images, augment: {rotation: sideways}}", [], ["game.augment.rotation", "quarter_turns"]),
            ("game: {}\nagents: {rotation_task: sender}", [], ["agents.rotation_task", "image game"]),
            ("game: {kind: images}\nagents: {rotation_task: both}", [], ["agents.rotation_task", "receiver"]),
            (task, [], ["game.augment.rotation", "quarter_turns or any_angle"]),
            (task, ["game.augment.rotation=quarter_turns", "agents.channel=reinforce"], ["agents.channel", "gumbel"]),
            (task, ["game.augment.rotation=quarter_turns", "agents.encoder=private"], ["agents.encoder", "shared"]),
            (task, ["game.augment.rotation=quarter_turns", "population.listeners=2"], ["population.listeners", "one speaker and one listener"]),
            (task, ["game.augment.rotation=quarter_turns", "population.cross_rank=0.5"], ["population.cross_rank", "expected 0"]),
            (task, ["game.augment.rotation=quarter_turns", "train.multitask.mode=sum"], ["train.multitask.mode", "pcgrad"]),
            (task, ["game.augment.rotation=quarter_turns", "train.multitask.rotation_weight=-1"], ["train.multitask.rotation_weight"]),
            (task, ["game.augment.rotation=quarter_turns", "train.multitask.game_weight=1e39"], ["train.multitask.game_weight"]),
            (task, ["game.augment.rotation=quarter_turns", "train.multitask.game_weight=0", "train.multitask.rotation_weight=0"],
             ["train.multitask.rotation_weight", "nothing would train"]),
            ("game: {kind: images, augment: {noise: 1e39}}", [], ["game.augment.noise"]),
            ("game: {augment: {noise: 1e39}}", [], ["game.augment.noise"]),
        ]
    }()

    /// Sizes the machine cannot hold (issue 13, item 5): refused from a memory
    /// estimate before anything is allocated, never an overflowed number.
    /// Each is far beyond any machine, so no machine accepts it.
    static let sizes: [(yaml: String, overrides: [String], expected: [String])] = [
        ("game: {}\nagents: {hidden: 65536}\npopulation: {listeners: 10000}", [], ["agents.hidden 65536", "of memory per rank"]),
        ("game: {vocab: 1000000000000}", [], ["game.vocab 1000000000000", "of memory per rank"]),
        ("game: {attributes: [100000, 100000, 1000]}", [], ["10000000000000 objects", "of memory per rank"]),
        ("game: {}\npopulation: {speakers: 10000, listeners: 10000}\ntrain: {batch: 1000000}", [],
         ["10000 speakers and 10000 listeners of train.batch 1000000", "of memory per rank"]),
        ("game: {attributes: [3037000500, 3037000500]}", [], ["9.22e+18 objects", "of memory per rank"]),
        ("game: {attributes: [1000000, 1000000, 1000000, 1000000]}", [], ["1e+24 objects", "of memory per rank"]),
        ("game: {attributes: [9223372036854775807, 9223372036854775807]}", [], ["objects", "of memory per rank"]),
        ("game: {}", ["agents.hidden=65536", "population.speakers=10000"], ["agents.hidden 65536", "of memory per rank"]),
        ("game: {vocab: 4611686018427387904}", [], ["game.vocab", "of memory per rank"]),
        ("game: {}\nagents: {hidden: 65537}", [], ["agents.hidden", "at most 65536"]),
        ("game: {}\npopulation: {speakers: 10001}", [], ["population.speakers", "at most 10000"]),
        ("game: {}\ntrain: {batch: 1000001}", [], ["train.batch", "at most 1000000"]),
        ("game: {message_length: 65}", [], ["game.message_length", "at most 64"]),
        ("game: {vocab: 99999999999999999999999}", [], ["game.vocab", "whole number"]),
        ("game: {}\ntrain: {steps: 9223372036854775808}", [], ["train.steps", "whole number"]),
        ("game: {}", ["train.steps=1_000_000_000_000_000_000_000"], ["train.steps", "whole number"]),
    ]

    /// YAML beyond its limits, refused on the event stream before any tree is built.
    static let yaml: [(yaml: String, overrides: [String], expected: [String])] = [
        (billionLaughs, [], ["bad.yaml: line 1", "anchors and aliases"]),
        ("game: &g {vocab: 8}", [], ["bad.yaml: line 1", "anchors and aliases"]),
        ("game: {vocab: &v 8, message_length: *v}", [], ["anchors and aliases"]),
        ("defaults: &d {vocab: 8}\ngame: *d", [], ["anchors and aliases"]),
        ("game: {}", ["game.vocab=*v"], ["--set game.vocab", "anchors and aliases"]),
        ("game: {}\nx: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40), [], ["nested more than 32 levels"]),
        ("game: {}\n" + (0..<100_000).map { "k\($0): 1" }.joined(separator: "\n"), [], ["more than 10000 YAML values"]),
        ("game: {}\nx: [" + String(repeating: "1, ", count: 400_000) + "1]", [], ["bytes of YAML", "at most 1048576"]),
        ("game: {}\n---\ngame: {}", [], ["bad.yaml", "malformed YAML"]),
        ("game: {kind: attributes, kind: attributes}", [], ["bad.yaml"]),
        ("game: {}\n? [a, b]\n: 1", [], ["keys must be plain names"]),
        ("game: {}\n\"\\e[2J\": 1", [], ["unknown key"]),
        // Found by scripts/fuzz-config: a quoted key's newline made a message of two lines.
        ("game: {}\n\"a\\nb\": 1", [], ["unknown key a\\u{a}b"]),
    ]

    /// Ten levels of ten aliases each: 10^10 strings once expanded.
    public static let billionLaughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + (1..<10).map { level in
        let previous = Character(UnicodeScalar(UInt8(96 + level)))
        let name = Character(UnicodeScalar(UInt8(97 + level)))
        return "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]"
    }.joined(separator: "\n") + "\ngame: {}"

    /// Endpoints a trainer could not connect to (item 7).
    static let endpoints: [(yaml: String, overrides: [String], expected: [String])] = [
        ("game: {}\ntelemetry: {endpoint: 'tcp://*:5557'}", [], ["telemetry.endpoint", "wildcard"]),
        ("game: {}\ntelemetry: {endpoint: 'ipc:///tmp/" + String(repeating: "x", count: 300) + "'}", [],
         ["telemetry.endpoint", "305 bytes", "at most 107"]),
        ("game: {}\ntelemetry: {endpoint: 'inproc://x'}", [], ["telemetry.endpoint", "inproc"]),
        ("game: {}", ["telemetry.endpoint=tcp://*:5557"], ["telemetry.endpoint", "wildcard"]),
        ("game: {}", ["telemetry.endpoint=inproc://koine"], ["telemetry.endpoint", "inproc"]),
        ("game: {}\ntelemetry: {endpoint: 'ipc://'}", [], ["telemetry.endpoint"]),
        ("game: {}\ntelemetry: {endpoint: 'tcp://host:0'}", [], ["telemetry.endpoint", "1-65535"]),
        ("game: {}\ntelemetry: {endpoint: 'tcp://host:abc'}", [], ["telemetry.endpoint"]),
        ("game: {}\ntelemetry: {endpoint: [a]}", [], ["telemetry.endpoint", "text"]),
        ("game: {}\ntelemetry: {endpoint: 'udp://host:5557'}", [], ["telemetry.endpoint"]),
    ]

    /// One value out of range or of the wrong kind, for keys the table above leaves out.
    static let values: [(yaml: String, overrides: [String], expected: [String])] = [
        ("game: {}\nseed: -1", [], ["seed", "at least 0"]),
        ("game: {}\ntelemetry: {every: -1}", [], ["telemetry.every", "at least 0"]),
        ("game: {}\ntrain: {batch: 0}", [], ["train.batch", "at least 1"]),
        ("game: {}\ntrain: {checkpoint: {keep: 0}}", [], ["train.checkpoint.keep", "at least 1"]),
        ("game: {}\ntrain: {checkpoint: {every: -5}}", [], ["train.checkpoint.every", "at least 0"]),
        ("game: {}\ntrain: {log_every: x}", [], ["train.log_every", "whole number"]),
        ("game: {}\ntrain: {check_every: -1}", [], ["train.check_every", "at least 0"]),
        ("game: {}\ntrain: {optimizer: {kind: rmsprop}}", [], ["train.optimizer.kind", "adam"]),
        ("game: {}\ntrain: {optimizer: {momentum: 1.5}}", [], ["train.optimizer.momentum", "at most 1"]),
        ("game: {}\ntrain: {optimizer: {clip: -1}}", [], ["train.optimizer.clip", "at least 0"]),
        ("game: {}\ntrain: {optimizer: {lr: nan}}", [], ["train.optimizer.lr", "a number"]),
        ("game: {}\nagents: {entropy: inf}", [], ["agents.entropy", "a number"]),
        ("game: {}\nagents: {baseline: median}", [], ["agents.baseline", "mean"]),
        ("game: {}\nagents: {encoder: public}", [], ["agents.encoder", "shared"]),
        ("game: {}\nagents: {channel: gumball}", [], ["agents.channel", "gumbel"]),
        ("game: {}\nagents: {hidden: 1.5}", [], ["agents.hidden", "whole number"]),
        ("game: {}\nagents: {temperature: -1}", [], ["agents.temperature", "above 0"]),
        ("game: {}\nagents: {hidden: [1, 2]}", [], ["agents.hidden", "a list"]),
        ("game: {variable_length: true, vocab: 2}", [], ["game.vocab", "at least 3"]),
        ("game: {candidates: 1}", [], ["game.candidates", "at least 2"]),
        ("game: {holdout: -1}", [], ["game.holdout", "at least 0"]),
        ("game: {attributes: []}", [], ["game.attributes", "non-empty"]),
        ("game: {attributes: [8, -4]}", [], ["game.attributes", "at least 1"]),
        ("game: {}\neval: {every: -1}", [], ["eval.every", "at least 0"]),
        ("game: {}\neval: {distance: [cosine]}", [], ["eval.distance", "cosine"]),
        ("game: {}\neval: {ease_of_teaching: {listeners: 0}}", [], ["eval.ease_of_teaching.listeners", "at least 1"]),
        ("game: {}\neval: {ease_of_teaching: {steps: 0}}", [], ["eval.ease_of_teaching.steps", "at least 1"]),
        ("game: {}\neval: {ease_of_teaching: {every: many}}", [], ["eval.ease_of_teaching.every", "whole number"]),
        ("game: {}\npopulation: {reset: {speakers: {mode: staggered, every: 0}}}", [], ["population.reset.speakers.every"]),
        ("game: {}\npopulation: {speakers: 3, reset: {speakers: {mode: staggered, every: 2}}}", [],
         ["population.reset.speakers.every", "staggered"]),
        ("game: {}\npopulation: {listeners: 0}", [], ["population.listeners", "at least 1"]),
        ("game: {}\npopulation: {cross_rank: -0.1}", [], ["population.cross_rank", "at least 0"]),
        ("game: {}\ntrain: {steps: 1e6}", [], ["train.steps", "whole number"]),
        ("game: {}", ["agents.hidden=[1, 2]"], ["agents.hidden", "whole number"]),
        ("game: {}", ["game={vocab: 8}", "game.vocab=x"], ["game.vocab", "whole number"]),
    ]
}
