/* Draws each process diagram of the case page with bpmn-js and marks active and passed elements. */
(function () {
  "use strict";

  function parse(value) {
    try { return JSON.parse(value || "[]"); } catch (e) { return []; }
  }

  function draw(container) {
    var viewer = new window.BpmnJS({ container: container });
    return fetch(container.getAttribute("data-bron"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("diagram " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        parse(container.getAttribute("data-afgerond")).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "afgerond"); }
        });
        parse(container.getAttribute("data-actief")).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "actief"); }
        });
        canvas.zoom("fit-viewport");
        var svg = container.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", container.closest("figure").querySelector("figcaption").textContent);
        }
        container.setAttribute("data-getekend", "ja");
      })
      .catch(function () {
        container.textContent = "Het diagram kon niet worden getoond.";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.BpmnJS) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".diagram[data-bron]"), draw);
  });
})();
