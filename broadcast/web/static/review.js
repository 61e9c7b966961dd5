// Review page behaviour: segment buttons seek the player; the segment being heard is marked.
document.addEventListener("DOMContentLoaded", function () {
  var player = document.getElementById("player");
  var segments = Array.prototype.slice.call(document.querySelectorAll("button.seg[data-start]"));
  if (!player) { return; }
  segments.forEach(function (button) {
    button.addEventListener("click", function () {
      player.currentTime = parseFloat(button.dataset.start);
      var playing = player.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    });
  });
  player.addEventListener("timeupdate", function () {
    var t = player.currentTime;
    segments.forEach(function (button) {
      var on = t >= parseFloat(button.dataset.start) && t < parseFloat(button.dataset.end);
      button.classList.toggle("current", on);
    });
  });
});
