import ArgumentParser

@main
struct Koine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koine",
        abstract: "Train populations of communicating agents and measure the languages they invent.",
        version: KoineVersion.string,
        subcommands: [
        ]
    )
}
