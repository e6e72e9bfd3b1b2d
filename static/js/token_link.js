/* A QR code (meeting slip, survey slip) carries its secret after "#": the fragment never reaches
   the server's access log or a proxy. Take it out of the address bar and send it in a POST body. */
(function () {
  "use strict";
  var secret = window.location.hash.slice(1);
  var form = document.querySelector("form[data-token-form]");
  if (!secret || !form) { return; }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  form.querySelector("input[name=code]").value = secret;
  form.submit();
})();
