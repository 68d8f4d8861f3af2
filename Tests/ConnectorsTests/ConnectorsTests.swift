import Testing
@testable import Connectors

// Connectors' tests live beside this file, one per connector (JSONTests.swift).
