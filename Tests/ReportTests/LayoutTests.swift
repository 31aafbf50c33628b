@testable import Report
import Testing

@Suite struct LayoutTests {
    static func sizes(_ n: Int) -> [(width: Double, height: Double)] { Array(repeating: (100, 40), count: n) }

    /// Layers by longest path from the sources, left to right.
    @Test func layersFollowTheLongestPath() {
        // 0 -> 1 -> 2 and 0 -> 2: node 2 is two layers from 0, and the long edge goes round a dummy.
        let l = LayeredLayout(sizes: Self.sizes(3), edges: [(0, 1), (1, 2), (0, 2)])
        #expect(l.layers == [0, 1, 2])
        #expect(l.boxes[0].x < l.boxes[1].x && l.boxes[1].x < l.boxes[2].x)
        #expect(l.routes[0].count == 2 && l.routes[1].count == 2)
        #expect(l.routes[2].count == 4, "the long edge passes through one dummy (in and out of its column)")
        // Routes leave a box's right side and enter the target's left side.
        #expect(l.routes[2].first!.x == l.boxes[0].x + 100 && l.routes[2].first!.y == l.boxes[0].midY)
        #expect(l.routes[2].last!.x == l.boxes[2].x && l.routes[2].last!.y == l.boxes[2].midY)
        #expect(l.width >= l.boxes[2].x + 100 && l.height >= 40)
    }

    /// Barycentre ordering undoes crossings the input order makes.
    @Test func orderingRemovesAvoidableCrossings() {
        // Sources 0, 1; targets 2, 3; 0 -> 3 and 1 -> 2 cross in the given order.
        let l = LayeredLayout(sizes: Self.sizes(6), edges: [(0, 3), (1, 2), (3, 4), (2, 5)])
        #expect(l.crossings == 0)
        #expect((l.boxes[0].y < l.boxes[1].y) == (l.boxes[3].y < l.boxes[2].y))
    }

    @Test func boxesInALayerNeverOverlap() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let n = Int.random(in: 2...40, using: &g)
            var edges: [(Int, Int)] = []
            for _ in 0..<(n * 2) {
                let a = Int.random(in: 0..<n, using: &g), b = Int.random(in: 0..<n, using: &g)
                if a < b { edges.append((a, b)) }
            }
            let l = LayeredLayout(sizes: Self.sizes(n), edges: edges)
            for i in 0..<n {
                for j in (i + 1)..<n where l.layers[i] == l.layers[j] {
                    let a = l.boxes[i], b = l.boxes[j]
                    #expect(a.y + a.height <= b.y || b.y + b.height <= a.y, "boxes \(i) and \(j) overlap")
                }
                // Every edge goes left to right.
            }
            for (k, e) in edges.enumerated() {
                #expect(l.layers[e.0] < l.layers[e.1])
                #expect(l.routes[k].first!.x < l.routes[k].last!.x)
            }
        }
    }

    /// Notes from a clone may describe a cycle; the drawing still comes out, every edge routed.
    @Test func cyclesAndJunkEdgesDoNotBreakTheLayout() {
        let l = LayeredLayout(sizes: Self.sizes(3), edges: [(0, 1), (1, 0), (1, 2), (2, 2), (5, 1), (-1, 0)])
        #expect(l.boxes.count == 3)
        #expect(l.routes.count == 6)
        #expect(!l.routes[0].isEmpty && !l.routes[1].isEmpty && !l.routes[2].isEmpty)
        #expect(l.routes[3].isEmpty && l.routes[4].isEmpty && l.routes[5].isEmpty)
        // The reversed edge still ends at its own target.
        #expect(l.routes[1].last!.x == l.boxes[0].x || l.routes[1].last!.x == l.boxes[0].x + 100)
        for b in l.boxes { #expect(b.x.isFinite && b.y.isFinite) }
        let empty = LayeredLayout(sizes: [], edges: [])
        #expect(empty.boxes.isEmpty && empty.width.isFinite && empty.height.isFinite)
    }

    @Test func pathsBendWithHorizontalTangents() {
        #expect(LayeredLayout.path([(0, 10), (50, 10)]) == "M0 10L50 10")
        #expect(LayeredLayout.path([(0, 0), (40, 20)]) == "M0 0C20 0 20 20 40 20")
        #expect(LayeredLayout.path([]) == "")
    }
}
