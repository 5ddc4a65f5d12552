/* fagdag's only script: small enhancements. Every page works without it. */
(function () {
  "use strict";

  // The programme's and the registration form's filter (events/programme_filter.py
  // has the same rules and does it on the server without this script): here it
  // hides what does not match as the member types, and the address follows.
  var filterForm = document.querySelector("[data-programme-filter]");
  if (filterForm) {
    enhanceFilter(filterForm);
  }

  function enhanceFilter(form) {
    var page = form.parentNode;
    var field = function (name) {
      return form.elements.namedItem(name);
    };
    var status = form.querySelector("#filter-status");
    var none = form.querySelector(".filter-none");
    var reset = form.querySelector(".filter-reset");
    var onForm = !!document.querySelector(".registration-form");

    function textOf(element) {
      var text = element.textContent;
      var seats = element.querySelector(".seats-left, .seats-full");
      if (seats) {
        text = text.replace(seats.textContent, " ");
      }
      return text.toLowerCase().split(/\s+/).join(" ");
    }

    function value(name) {
      var input = field(name);
      return input ? input.value : "";
    }

    function apply() {
      var day = value("dag");
      var block = value("blok");
      var theme = value("tema");
      var words = value("q").toLowerCase().split(/\s+/).filter(Boolean);
      var active = !!(day || block || theme || words.length);
      var matches = function (element) {
        var text = textOf(element);
        return words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
      };
      var workshops = page.querySelectorAll(".workshop[data-block], .workshop-option[data-block]");
      var shownBlocks = {};
      var shownDays = {};
      var shown = 0;
      workshops.forEach(function (workshop) {
        var checked = workshop.querySelector("input:checked");
        var show =
          !!checked ||
          ((!day || workshop.dataset.day === day) &&
            (!block || workshop.dataset.block === block) &&
            (!theme || workshop.dataset.theme === theme) &&
            matches(workshop));
        workshop.hidden = !show;
        if (show) {
          shown += 1;
          shownBlocks[workshop.dataset.block] = true;
          shownDays[workshop.dataset.day] = true;
        }
      });
      page.querySelectorAll(".programme-item[data-day]").forEach(function (session) {
        var show = !block && !theme && (!day || session.dataset.day === day) && matches(session);
        session.hidden = !show;
        if (show) {
          shownDays[session.dataset.day] = true;
        }
      });
      page.querySelectorAll(".programme-item[data-block], .workshop-block[data-block]").forEach(
        function (element) {
          var inChoice =
            (!block || element.dataset.block === block) &&
            (!day || !element.dataset.day || element.dataset.day === day);
          element.hidden = !(shownBlocks[element.dataset.block] || (onForm && inChoice));
        }
      );
      page.querySelectorAll(".programme-day").forEach(function (section) {
        section.hidden = !section.querySelector(".programme-item:not([hidden])");
      });
      var total = workshops.length;
      status.textContent = status.dataset[total === 1 ? "one" : "other"]
        .replace("{shown}", shown)
        .replace("{total}", total);
      none.hidden = !active || shown > 0;
      reset.hidden = !active;
      var query = new URLSearchParams(new FormData(form));
      Array.from(query.keys()).forEach(function (name) {
        if (!query.get(name)) {
          query.delete(name);
        }
      });
      var search = query.toString();
      history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
    }

    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
    });
    reset.addEventListener("click", function (event) {
      event.preventDefault();
      form.reset();
      Array.from(form.elements).forEach(function (element) {
        if (element.name) {
          element.value = "";
        }
      });
      apply();
    });
  }

  // After a failed submit the error summary is the first thing in <main>.
  // Moving focus to it makes screen readers read it out at once, and keyboard
  // users start from it.
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  summary.focus();

  // A link in the summary jumps to its field and puts the cursor in it (a
  // plain link to an id only scrolls). The whole question stays in view: the
  // legend of a group of radio buttons, the label of a field.
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    var input = target.matches("input, select, textarea")
      ? target
      : target.querySelector("input:not([disabled]), select, textarea");
    if (!input) {
      return;
    }
    event.preventDefault();
    var question = target.closest("fieldset") || document.getElementById("div_" + input.id) || target;
    question.scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
