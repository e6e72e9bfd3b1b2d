// A "print" button (no inline script: the Content-Security-Policy allows none).
document.addEventListener("click", function (event) {
  if (event.target.closest(".print-page")) {
    window.print();
  }
});
