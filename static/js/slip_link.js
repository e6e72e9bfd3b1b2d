/* A slip's QR code carries its secret after "#": the fragment never reaches the server's
   access log or a proxy. Take it out of the address bar and send it in the body of a POST. */
(function () {
  "use strict";
  var secret = window.location.hash.slice(1);
  var form = document.querySelector("form.slip-code");
  if (!secret || !form) { return; }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  form.querySelector("input[name=code]").value = secret;
  form.submit();
})();
