// The scorecard editor (templates/qa/scorecards_edit.html): add, remove and reorder sections and
// questions in the page instead of posting each button. Every field carries data-sfield (a
// section's) or data-qfield (a question's); after each change the names are rewritten from the
// rows' order (s-<i>-title, s-<i>-q-<j>-text …), which is the order the server reads them in.
// Without this script the same buttons post an "op" and the server redraws the rows.
(function () {
  "use strict";

  function renumber(editor) {
    var sections = editor.querySelectorAll("[data-sections] > [data-section]");
    sections.forEach(function (section, i) {
      var number = section.querySelector("[data-section-number]");
      if (number) number.textContent = String(i + 1);
      section.querySelectorAll("[data-sfield]").forEach(function (field) {
        field.name = "s-" + i + "-" + field.getAttribute("data-sfield");
      });
      section.querySelectorAll(":scope > .qa-row-head [data-op], :scope > [data-op]").forEach(function (button) {
        button.value = button.getAttribute("data-op") + ":" + i;
      });
      section.querySelectorAll("[data-questions] > [data-question]").forEach(function (question, j) {
        var qnumber = question.querySelector("[data-question-number]");
        if (qnumber) qnumber.textContent = String(j + 1);
        question.querySelectorAll("[data-qfield]").forEach(function (field) {
          field.name = "s-" + i + "-q-" + j + "-" + field.getAttribute("data-qfield");
        });
        question.querySelectorAll("[data-op]").forEach(function (button) {
          button.value = button.getAttribute("data-op") + ":" + i + ":" + j;
        });
      });
    });
  }

  function fromTemplate(id) {
    var template = document.getElementById(id);
    return template ? template.content.firstElementChild.cloneNode(true) : null;
  }

  function focusFirst(row) {
    var input = row && row.querySelector("input[type=text]");
    if (input) input.focus();
  }

  function act(editor, button) {
    var op = button.getAttribute("data-op");
    var section = button.closest("[data-section]");
    var question = button.closest("[data-question]");
    var row;
    if (op === "add_section") {
      row = fromTemplate("qa-section-template");
      if (!row) return false;
      editor.querySelector("[data-sections]").appendChild(row);
    } else if (op === "add_question") {
      row = fromTemplate("qa-question-template");
      if (!row || !section) return false;
      section.querySelector("[data-questions]").appendChild(row);
    } else if (op === "remove_section" && section) {
      section.remove();
    } else if (op === "remove_question" && question) {
      question.remove();
    } else if ((op === "up_section" || op === "down_section") && section) {
      move(section, op === "up_section");
    } else if ((op === "up_question" || op === "down_question") && question) {
      move(question, op === "up_question");
    } else {
      return false;
    }
    renumber(editor);
    focusFirst(row);
    return true;
  }

  function move(element, up) {
    if (up && element.previousElementSibling) {
      element.parentNode.insertBefore(element, element.previousElementSibling);
    } else if (!up && element.nextElementSibling) {
      element.parentNode.insertBefore(element.nextElementSibling, element);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-op]");
    if (!button) return;
    var editor = button.closest("[data-qa-editor]");
    if (!editor) return;
    if (act(editor, button)) event.preventDefault();
  });
})();
