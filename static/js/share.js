// Share buttons, improved where the browser can: copy the link with one press, and open the phone's own
// share menu. Without this script every button is still a working link (petition/_share.html).
(function () {
  "use strict";
  var share = document.querySelector(".share");
  if (!share) {
    return;
  }
  var status = share.querySelector("[data-share-status]");
  var copyButton = share.querySelector("[data-copy]");
  var fallback = share.querySelector("[data-copy-fallback]");
  var nativeButton = share.querySelector("[data-native-share]");
  var field = share.querySelector("#share-url");

  function say(message) {
    // Emptied first, so that the same message pressed twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  if (copyButton && navigator.clipboard && window.isSecureContext) {
    copyButton.hidden = false;
    fallback.hidden = true;
    copyButton.addEventListener("click", function () {
      navigator.clipboard.writeText(copyButton.getAttribute("data-copy")).then(
        function () { say("Link copied. Paste it into a message or a post."); },
        function () {
          field.focus();
          field.select();
          say("Your browser did not let us copy it: the link is selected below, ready to copy.");
        }
      );
    });
  }

  if (nativeButton && navigator.share) {
    nativeButton.hidden = false;
    nativeButton.addEventListener("click", function () {
      navigator.share({
        title: share.getAttribute("data-share-title"),
        text: share.getAttribute("data-share-text"),
        url: share.getAttribute("data-share-url")
      }).catch(function () { /* closed without sharing: nothing to say */ });
    });
  }
}());
