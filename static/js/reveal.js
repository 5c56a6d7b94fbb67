// The reveal page: the number hides itself after a short while (progressive
// enhancement: without JavaScript the page works the same and the person
// closes it). The text is removed from the page, not just hidden, so it is
// gone from the DOM, from "find in page" and from a later screenshot.
(function () {
  'use strict';
  var box = document.getElementById('reveal');
  var number = document.getElementById('reveal-number');
  var notice = document.getElementById('reveal-hidden');
  if (!box || !number) return;
  var seconds = parseInt(box.getAttribute('data-hide-after') || '30', 10);
  if (!(seconds > 0)) seconds = 30;
  function hide() {
    number.textContent = '';
    number.hidden = true;
    if (notice) notice.hidden = false;
  }
  window.setTimeout(hide, seconds * 1000);
  // Leaving the page (or putting it in the back/forward cache) hides it too.
  window.addEventListener('pagehide', hide);
})();
