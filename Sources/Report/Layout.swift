import Foundation

/// A layered drawing of a directed graph, left to right (Sugiyama's scheme): cycles broken by reversing
/// the edges a depth-first search finds going back; layers by longest path from the sources; edges that
/// span several layers routed through dummy nodes; order within a layer by barycentre sweeps, keeping
/// the order with the fewest crossings; then positions.
public struct LayeredLayout: Sendable {
    public struct Box: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var width: Double
        public var height: Double
        public var midY: Double { y + height / 2 }
    }

    /// One box per node, in the order given.
    public var boxes: [Box]
    /// The layer of each node (0 = sources).
    public var layers: [Int]
    /// For each edge given (in order), the points it passes through, from its source's right side to
    /// its target's left side (reversed edges included, so they too end at their target).
    public var routes: [[(x: Double, y: Double)]]
    /// Edge crossings between adjacent layers in the chosen order.
    public var crossings: Int
    public var width: Double
    public var height: Double

    static let layerGap = 64.0
    static let nodeGap = 22.0
    static let dummyGap = 8.0
    static let margin = 12.0

    public init(sizes: [(width: Double, height: Double)], edges: [(from: Int, to: Int)]) {
        let n = sizes.count
        // 1. Edges without self-loops and duplicates; back edges reversed.
        var seen = Set<[Int]>()
        var dag: [(from: Int, to: Int, index: Int, reversed: Bool)] = []
        var out = [[Int]](repeating: [], count: n)
        for e in edges where e.from != e.to && e.from >= 0 && e.to >= 0 && e.from < n && e.to < n {
            if seen.insert([e.from, e.to]).inserted { out[e.from].append(e.to) }
        }
        let back = LayeredLayout.backEdges(n: n, out: out)
        for (i, e) in edges.enumerated() where e.from != e.to && e.from >= 0 && e.to >= 0 && e.from < n && e.to < n {
            let rev = back.contains([e.from, e.to])
            dag.append(rev ? (e.to, e.from, i, true) : (e.from, e.to, i, false))
        }

        // 2. Longest-path layering over a topological order.
        var preds = [[Int]](repeating: [], count: n), succs = [[Int]](repeating: [], count: n)
        var pairSeen = Set<[Int]>()
        for e in dag where pairSeen.insert([e.from, e.to]).inserted {
            succs[e.from].append(e.to)
            preds[e.to].append(e.from)
        }
        var indegree = preds.map(\.count)
        var queue = (0..<n).filter { indegree[$0] == 0 }
        var layer = [Int](repeating: 0, count: n)
        var head = 0
        while head < queue.count {
            let u = queue[head]
            head += 1
            for v in succs[u] {
                layer[v] = max(layer[v], layer[u] + 1)
                indegree[v] -= 1
                if indegree[v] == 0 { queue.append(v) }
            }
        }
        layers = layer

        // 3. Dummy nodes on long edges: node ids n, n+1, ... with zero size.
        var widths = sizes.map(\.width), heights = sizes.map(\.height)
        var nodeLayer = layer
        var chains: [[Int]] = []  // per dag edge: the nodes it passes through, source to target
        var lpreds = [[Int]](repeating: [], count: n), lsuccs = [[Int]](repeating: [], count: n)
        func link(_ a: Int, _ b: Int) {
            lsuccs[a].append(b)
            lpreds[b].append(a)
        }
        for e in dag {
            var chain = [e.from]
            var prev = e.from
            if layer[e.to] - layer[e.from] > 1 {
                for l in (layer[e.from] + 1)..<layer[e.to] {
                    let d = widths.count
                    widths.append(0); heights.append(0); nodeLayer.append(l)
                    lpreds.append([]); lsuccs.append([])
                    link(prev, d)
                    chain.append(d)
                    prev = d
                }
            }
            link(prev, e.to)
            chain.append(e.to)
            chains.append(chain)
        }
        let total = widths.count
        let layerCount = (nodeLayer.max() ?? -1) + 1
        var order = [[Int]](repeating: [], count: layerCount)
        for v in 0..<total { order[nodeLayer[v]].append(v) }

        // 4. Barycentre sweeps, down then up, keeping the best order seen.
        var position = [Double](repeating: 0, count: total)
        func index() { for l in order { for (i, v) in l.enumerated() { position[v] = Double(i) } } }
        func countCrossings() -> Int {
            var c = 0
            for l in 0..<max(0, layerCount - 1) {
                var pairs: [(Double, Double)] = []
                for u in order[l] { for v in lsuccs[u] { pairs.append((position[u], position[v])) } }
                pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                for i in 0..<pairs.count {
                    for j in (i + 1)..<pairs.count where pairs[j].0 > pairs[i].0 && pairs[j].1 < pairs[i].1 { c += 1 }
                }
            }
            return c
        }
        index()
        let edgeCount = lsuccs.reduce(0) { $0 + $1.count }
        let measure = edgeCount <= 3000
        var best = order, bestCrossings = measure ? countCrossings() : 0
        for iteration in 0..<12 where !measure || bestCrossings > 0 {
            let down = iteration % 2 == 0
            let sweep = down ? Array(1..<max(1, layerCount)) : Array((0..<max(0, layerCount - 1)).reversed())
            for l in sweep {
                let keyed = order[l].map { v -> (Int, Double) in
                    let nb = down ? lpreds[v] : lsuccs[v]
                    return (v, nb.isEmpty ? position[v] : nb.map { position[$0] }.reduce(0, +) / Double(nb.count))
                }
                order[l] = keyed.enumerated().sorted { a, b in
                    a.element.1 != b.element.1 ? a.element.1 < b.element.1 : a.offset < b.offset
                }.map(\.element.0)
                for (i, v) in order[l].enumerated() { position[v] = Double(i) }
            }
            if measure {
                let c = countCrossings()
                if c < bestCrossings { best = order; bestCrossings = c }
            } else {
                best = order
            }
        }
        order = best
        index()
        crossings = measure ? countCrossings() : -1

        // 5. Coordinates: a column per layer, as wide as its widest node; within a column, nodes pulled
        // towards the middle of their neighbours, in order and never overlapping.
        var columnX = [Double](repeating: 0, count: layerCount)
        var x = LayeredLayout.margin
        for l in 0..<layerCount {
            columnX[l] = x
            x += (order[l].map { widths[$0] }.max() ?? 0) + LayeredLayout.layerGap
        }
        var y = [Double](repeating: 0, count: total)
        func gap(_ v: Int) -> Double { heights[v] == 0 ? LayeredLayout.dummyGap : LayeredLayout.nodeGap }
        func stack(_ l: Int, desired: [Double]) {
            // Place in order at the desired centres, pushed down to avoid overlaps, then the whole
            // column moved up by the mean push so it stays centred on its neighbours.
            var placed: [Double] = []
            var bottom = -Double.infinity
            for (i, v) in order[l].enumerated() {
                let top = max(desired[i] - heights[v] / 2, bottom)
                placed.append(top)
                bottom = top + heights[v] + gap(v)
            }
            let shift = zip(placed, order[l].enumerated()).map { p, e in p - (desired[e.offset] - heights[e.element] / 2) }.reduce(0, +)
                / Double(max(1, placed.count))
            for (i, v) in order[l].enumerated() { y[v] = placed[i] - shift }
        }
        for l in 0..<layerCount {
            var acc = 0.0
            stack(l, desired: order[l].map { v in
                defer { acc += heights[v] + gap(v) }
                return acc + heights[v] / 2
            })
        }
        for pass in 0..<4 {
            let forward = pass % 2 == 0
            let sweep = forward ? Array(0..<layerCount) : Array((0..<layerCount).reversed())
            for l in sweep {
                stack(l, desired: order[l].map { v in
                    let nb = (forward ? lpreds[v] : lsuccs[v]) + (pass >= 2 ? (forward ? lsuccs[v] : lpreds[v]) : [])
                    return nb.isEmpty ? y[v] + heights[v] / 2 : nb.map { y[$0] + heights[$0] / 2 }.reduce(0, +) / Double(nb.count)
                })
            }
        }
        let minY = (0..<total).map { y[$0] }.min() ?? 0
        var boxes: [Box] = []
        var maxX = 0.0, maxY = 0.0
        for v in 0..<total {
            y[v] += LayeredLayout.margin - minY
            if v < n {
                let l = nodeLayer[v]
                boxes.append(Box(x: columnX[l], y: y[v], width: widths[v], height: heights[v]))
                maxX = max(maxX, columnX[l] + widths[v])
                maxY = max(maxY, y[v] + heights[v])
            }
        }
        self.boxes = boxes
        width = maxX + LayeredLayout.margin
        height = maxY + LayeredLayout.margin

        // 6. Routes: out of the right side, across each dummy's column, into the left side.
        var routes = [[(x: Double, y: Double)]](repeating: [], count: edges.count)
        for (k, e) in dag.enumerated() {
            let chain = chains[k]
            var pts: [(x: Double, y: Double)] = []
            let s = chain[0], t = chain[chain.count - 1]
            pts.append((boxes[s].x + boxes[s].width, boxes[s].midY))
            for d in chain.dropFirst().dropLast() {
                let l = nodeLayer[d]
                let colWidth = order[l].map { widths[$0] }.max() ?? 0
                pts.append((columnX[l], y[d]))
                pts.append((columnX[l] + colWidth, y[d]))
            }
            pts.append((boxes[t].x, boxes[t].midY))
            routes[e.index] = e.reversed ? pts.reversed() : pts
        }
        self.routes = routes
    }

    /// Edges a depth-first search meets going back to a node still on its stack: removing (or
    /// reversing) them leaves no cycle.
    static func backEdges(n: Int, out: [[Int]]) -> Set<[Int]> {
        var state = [UInt8](repeating: 0, count: n)  // 0 new, 1 on stack, 2 done
        var back = Set<[Int]>()
        for start in 0..<n where state[start] == 0 {
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                if top.next < out[top.node].count {
                    stack[stack.count - 1].next += 1
                    let v = out[top.node][top.next]
                    if state[v] == 1 { back.insert([top.node, v]) } else if state[v] == 0 {
                        state[v] = 1
                        stack.append((v, 0))
                    }
                } else {
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        return back
    }

    /// An SVG path through `points`: horizontal tangents at every point, so edges leave and enter
    /// boxes level and bend smoothly in between.
    static func path(_ points: [(x: Double, y: Double)]) -> String {
        guard let first = points.first else { return "" }
        var d = "M" + Markup.coordinate(first.x) + " " + Markup.coordinate(first.y)
        for (a, b) in zip(points, points.dropFirst()) {
            if abs(a.y - b.y) < 0.5 {
                d += "L" + Markup.coordinate(b.x) + " " + Markup.coordinate(b.y)
            } else {
                let mid = (b.x - a.x) / 2
                d += "C" + [a.x + mid, a.y, b.x - mid, b.y, b.x, b.y].map(Markup.coordinate).joined(separator: " ")
            }
        }
        return d
    }
}
