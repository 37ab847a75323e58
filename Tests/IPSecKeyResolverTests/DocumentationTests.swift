import Foundation
import Testing

/// The getting-started article shows code that is compiled: `Examples/GettingStarted/main.swift`, built as the
/// `GettingStarted` executable target. This test keeps the two identical.
@Suite struct DocumentationTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func gettingStartedArticleShowsTheExampleVerbatim() throws {
        let article = try String(
            contentsOf: Self.repo.appendingPathComponent(
                "Sources/IPSecKeyResolver/IPSecKeyResolver.docc/GettingStarted.md"), encoding: .utf8)
        let example = try String(
            contentsOf: Self.repo.appendingPathComponent("Examples/GettingStarted/main.swift"),
            encoding: .utf8)
        let blocks = article.components(separatedBy: "```swift\n").dropFirst()
            .compactMap { $0.components(separatedBy: "```").first }
        #expect(blocks.count == 1, "one Swift code block in the article")
        #expect(blocks.first == example, "the article's code block differs from Examples/GettingStarted/main.swift")
        #expect(example.contains("import IPSecKeyResolver\n"))
        // The example stands for "import IPSecKeyResolver alone is enough".
        let imports = example.split(separator: "\n").filter { $0.hasPrefix("import ") }
        #expect(imports == ["import IPSecKeyResolver"])
    }
}
