// Decide a scenario in the browser by walking the policy's decision diagram.
//
// Reads a decision diagram (written by diagram.js, generated from the policy: one per
// version in window.billability.diagrams, the site's own in window.billability.diagram)
// and defines window.billability.decide(facts, diagram) -> {outcome, rules, missing},
// walking `diagram` or, when none is given, window.billability.diagram.
// `facts` maps fact names to values; a fact absent, null or undefined is unknown.
// The diagram holds every rule already: this file knows no fact, value or rule.
(function () {
  "use strict";
  var billability = (window.billability = window.billability || {});

  // The position of the class that holds a value, among the fact's classes.
  function classOf(fact, value) {
    if (fact.type === "integer") {
      return fact.classes.findIndex(function (range) {
        return (range[0] === null || value >= range[0]) && (range[1] === null || value <= range[1]);
      });
    }
    return fact.classes.indexOf(value);
  }

  billability.decide = function (facts, given) {
    var diagram = given || billability.diagram;
    var at = diagram.root;
    while (at < diagram.nodes.length) {
      var node = diagram.nodes[at];
      var fact = diagram.facts[node.fact];
      var value = Object.prototype.hasOwnProperty.call(facts, fact.name) ? facts[fact.name] : null;
      if (value === null || value === undefined) {
        at = node.unknown;
        continue;
      }
      var branch = classOf(fact, value);
      if (branch < 0) {
        throw new Error("`" + value + "` is not a value of `" + fact.name + "`");
      }
      at = node.branches[branch];
    }
    var leaf = diagram.leaves[at - diagram.nodes.length];
    return { outcome: leaf.outcome, rules: leaf.rules.slice(), missing: leaf.missing.slice() };
  };
})();
