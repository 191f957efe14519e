import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed

@Suite struct FixtureCSVReaderTests {
    @Test func readsHeaderQuotedFieldsAndRecordLines() throws {
        let (columns, records) = try readAll(fixturePath("fixtures", "people.csv"))
        #expect(columns == ["id", "name", "note"])
        #expect(records.map(\.line) == [2, 3, 5])
        #expect(records[0].fields == ["1", "Ada", "said \"hello\""])
        #expect(records[1].fields == ["2", "Grace\nHopper", nil])
        #expect(records[2].fields == ["3", "Linus", "a,b"])
    }

    @Test func quotedNewlineKeepsLineCountingRight() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "id,note\n1,\"one\ntwo\nthree\"\n2,plain\n")
        let records = try readAll(file).records
        #expect(records.map(\.line) == [2, 5])
        #expect(records[0].fields[1] == "one\ntwo\nthree")
    }

    @Test func doubledQuotesBecomeOneQuote() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "v\n\"\"\"quoted\"\" and \"\"\"\"\"\n")
        #expect(try readAll(file).records[0].fields == ["\"quoted\" and \"\""])
    }

    @Test func customDelimiterSplitsOnlyOutsideQuotes() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "a;b\n\"x;y\";2\n3;\"4,5\"\n")
        let (columns, records) = try readAll(file, CSVOptions(delimiter: ";"))
        #expect(columns == ["a", "b"])
        #expect(records.map(\.fields) == [["x;y", "2"], ["3", "4,5"]])
    }

    @Test func withoutHeaderColumnsComeFromOptions() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "1,2\n3,4")
        let (columns, records) = try readAll(file, CSVOptions(header: false, columns: ["a", "b"]))
        #expect(columns == ["a", "b"])
        #expect(records.map(\.line) == [1, 2])
        #expect(records.map(\.fields) == [["1", "2"], ["3", "4"]])
        let reader = try CSVReader(path: file, options: CSVOptions(header: false))
        while try reader.next() != nil {}
        #expect(try reader.next() == nil)
    }

    @Test func unquotedNullMarkerIsNullButQuotedIsText() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "a,b,c,d\n1,\\N,\"\\N\",\n")
        #expect(try readAll(file, CSVOptions(null: "\\N")).records[0].fields == ["1", nil, "\\N", ""])
        let empty = try folder.write("b.csv", "a,b,c\n1,,\"\"\n")
        #expect(try readAll(empty).records[0].fields == ["1", nil, ""])
    }

    @Test func crlfLineEndingsAndBlankLines() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "\u{FEFF}a,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n")
        let (columns, records) = try readAll(file)
        #expect(columns == ["a", "b"])
        #expect(records.map(\.line) == [2, 4])
        #expect(records[1].fields == ["3", "x\r\ny"])
    }

    @Test func rowWithTooManyFieldsIsReportedAtItsLine() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "a,b\n1,\"x\ny\"\n3,4,5\n")
        let error = #expect(throws: FixtureError.self) { try readAll(file) }
        #expect(error?.line == 4)
        #expect(error?.file == file)
        #expect(error?.message.contains("3 fields") == true)
        #expect(error?.message.contains("header has 2 columns") == true)
    }

    @Test func rowWithTooFewFieldsIsReportedAtItsLine() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "a,b,c\n1,2,3\n4,5\n")
        let error = #expect(throws: FixtureError.self) { try readAll(file) }
        #expect(error?.line == 3)
    }

    @Test func unterminatedQuoteIsReportedWhereItOpens() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "a,b\n1,2\n3,\"open\nmore\n")
        let error = #expect(throws: FixtureError.self) { try readAll(file) }
        #expect(error?.line == 3)
        #expect(error?.message.contains("unterminated") == true)
    }

    @Test func textAfterClosingQuoteIsAnError() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "a\n\"x\"y\n")
        let error = #expect(throws: FixtureError.self) { try readAll(file) }
        #expect(error?.line == 2)
    }

    @Test func fieldsSpanningChunkBoundariesAreIntact() throws {
        let folder = try TemporaryFolder()
        let long = String(repeating: "x", count: 70_000)
        let file = try folder.write("a.csv", "a,b\n\"\(long)\",\"q\"\"\"\r\n2,3")
        let records = try readAll(file).records
        #expect(records.map(\.fields) == [[long, "q\""], ["2", "3"]])
        #expect(records.map(\.line) == [2, 3])
    }

    @Test func missingFileAndBadDelimiterAreFixtureErrors() throws {
        #expect(throws: FixtureError.self) { try CSVReader(path: "/nonexistent/x.csv") }
        let folder = try TemporaryFolder()
        let file = try folder.write("a.csv", "a\n")
        #expect(throws: FixtureError.self) { try CSVReader(path: file, options: CSVOptions(delimiter: "\"")) }
    }
}
