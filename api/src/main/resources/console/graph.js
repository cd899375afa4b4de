// The DAG's and lineage's graphs, laid out and drawn by Cytoscape.js: its breadthfirst layout puts each node on
// the level of its longest path from a root, levels left to right (top to bottom in a phone-width box). The page
// keeps scrolling with the wheel and by touch: the graph neither zooms nor pans, and always fits its box.
// The library is imported on demand: only the two pages with a graph load it.

const NARROW = 600;

/** Loads the graph library; a page with a graph calls it along with its data request, so both load at once. */
export function graphLibrary() {
  return import('cytoscape');
}

/**
 * A graph drawn in `box`; a click on a node calls `onTap(node.id)`. Answers (a promise of) `draw(nodes, edges)`,
 * which replaces what is drawn: nodes `{ id, label, colour, shape ('repo' or 'pipeline' or 'commit'), border (a colour or null) }`,
 * edges `{ from, to }` (ids of drawn nodes); it resolves once the graph is on the screen (Cytoscape draws on the
 * next animation frame), so that a page counts as rendered only with its graph.
 */
export async function graph(box, onTap) {
  const { default: cytoscape } = await graphLibrary();
  let narrow = box.clientWidth < NARROW;
  const cy = cytoscape({
    container: box, style: style(narrow), userZoomingEnabled: false, userPanningEnabled: false,
    boxSelectionEnabled: false, autoungrabify: true, autounselectify: true, maxZoom: 1.3,
  });
  cy.on('tap', 'node', e => onTap(e.target.id()));
  cy.on('mouseover', 'node', () => { box.style.cursor = 'pointer'; });
  cy.on('mouseout', 'node', () => { box.style.cursor = ''; });
  const padding = () => (narrow ? 14 : 24);
  const layout = () => {
    const [w, h] = [box.clientWidth, box.clientHeight];
    cy.layout({
      name: 'breadthfirst', directed: true, maximal: true, spacingFactor: 1, fit: false,
      // levels run down the box; across a wide one they read left to right, as input -> pipeline -> output
      boundingBox: narrow ? { x1: 0, y1: 0, w, h } : { x1: 0, y1: 0, w: h, h: w },
      transform: narrow ? (n, p) => p : (n, p) => ({ x: p.y, y: p.x }),
      // the nodes of a level keep the order given; the comparator also lets through the empty slots that moving
      // a node down a level leaves (3.33's default comparator fails on them)
      depthSort: (a, b) => (a === null) - (b === null),
    }).run();
    cy.fit(undefined, padding());
  };
  new ResizeObserver(() => {
    cy.resize();
    if (narrow !== box.clientWidth < NARROW) {
      narrow = !narrow;
      cy.style(style(narrow));
      layout();
    } else {
      cy.fit(undefined, padding());
    }
  }).observe(box);
  return {
    draw(nodes, edges) {
      const painted = new Promise(resolve => cy.one('render', resolve));
      cy.batch(() => {
        cy.elements().remove();
        cy.add(nodes.map(n => ({ group: 'nodes', data: { ...n, border: n.border || n.colour } })));
        cy.add(edges.map(e => ({ group: 'edges', data: { id: e.from + '->' + e.to, source: e.from, target: e.to } })));
      });
      layout();
      return painted.then(() => performance.mark('sluice:graph-drawn'));
    },
  };
}

function style(narrow) {
  const size = narrow ? 22 : 30;
  return [
    { selector: 'node', style: {
      'background-color': 'data(colour)', 'border-color': 'data(border)', 'border-width': 3, label: 'data(label)',
      width: size, height: size, 'font-size': narrow ? 12 : 14, color: '#212121', 'text-valign': 'bottom', 'text-margin-y': 4,
      'text-background-color': '#fff', 'text-background-opacity': 0.9, 'text-background-padding': 2,
      'text-background-shape': 'roundrectangle', 'font-family': 'system-ui, sans-serif',
    } },
    { selector: 'node[shape = "repo"]', style: { shape: 'round-rectangle', width: size * 1.6 } },
    { selector: 'node[shape = "pipeline"]', style: { shape: 'ellipse' } },
    { selector: 'node[shape = "commit"]', style: { shape: 'round-rectangle', width: size * 0.8, height: size * 0.8 } },
    { selector: 'edge', style: {
      width: 2, 'line-color': '#9aa4b1', 'target-arrow-color': '#9aa4b1', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier',
    } },
  ];
}
