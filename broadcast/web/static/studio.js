// Recording studio: record from the microphone (MediaRecorder, Opus in WebM), show the level,
// play the take back (Web Audio: the page's policy allows no blob: media), retake, and send it
// in the page's form as a file, so the server verifies it like `broadcast record`.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("recorder");
  if (!box) { return; }
  var startButton = document.getElementById("rec-start");
  var stopButton = document.getElementById("rec-stop");
  var playButton = document.getElementById("rec-play");
  var retakeButton = document.getElementById("rec-retake");
  var sendButton = document.getElementById("rec-send");
  var form = document.getElementById("rec-form");
  var fileInput = document.getElementById("rec-file");
  var level = document.getElementById("rec-level");
  var clock = document.getElementById("rec-time");
  var status = document.getElementById("rec-status");
  var maxBytes = parseInt(box.dataset.maxBytes, 10);
  var bits = parseInt(box.dataset.bits, 10);
  var recorder = null, stream = null, context = null, analyser = null, chunks = [], blob = null;
  var started = 0, frame = 0;

  function say(text) { status.textContent = text; }

  function mimeType() {
    var kinds = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus"];
    for (var i = 0; i < kinds.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(kinds[i])) { return kinds[i]; }
    }
    return "";
  }

  function meter() {
    if (!analyser) { return; }
    var data = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(data);
    var sum = 0;
    for (var i = 0; i < data.length; i++) { sum += data[i] * data[i]; }
    level.value = Math.min(1, Math.sqrt(sum / data.length) * 4);
    var s = Math.floor((Date.now() - started) / 1000);
    clock.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    frame = requestAnimationFrame(meter);
  }

  function stopAll() {
    cancelAnimationFrame(frame);
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    analyser = null;
    level.value = 0;
    box.classList.remove("recording");
  }

  startButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say(box.dataset.micDenied); return; }
    navigator.mediaDevices.getUserMedia({audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false}})
      .then(function (s) {
        stream = s;
        context = context || new (window.AudioContext || window.webkitAudioContext)();
        analyser = context.createAnalyser();
        analyser.fftSize = 2048;
        context.createMediaStreamSource(stream).connect(analyser);
        var options = {audioBitsPerSecond: bits};
        var type = mimeType();
        if (type) { options.mimeType = type; }
        recorder = new MediaRecorder(stream, options);
        chunks = [];
        recorder.ondataavailable = function (e) { if (e.data && e.data.size) { chunks.push(e.data); } };
        recorder.onstop = function () {
          blob = new Blob(chunks, {type: recorder.mimeType || "audio/webm"});
          stopAll();
          playButton.disabled = retakeButton.disabled = false;
          if (blob.size > maxBytes) { say(box.dataset.tooLong); sendButton.disabled = true; return; }
          sendButton.disabled = false;
          say("");
        };
        recorder.start(1000);
        started = Date.now();
        box.classList.add("recording");
        startButton.disabled = playButton.disabled = retakeButton.disabled = sendButton.disabled = true;
        stopButton.disabled = false;
        meter();
      })
      .catch(function () { say(box.dataset.micDenied); });
  });

  stopButton.addEventListener("click", function () {
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
    stopButton.disabled = true;
  });

  playButton.addEventListener("click", function () {
    if (!blob) { return; }
    context = context || new (window.AudioContext || window.webkitAudioContext)();
    blob.arrayBuffer().then(function (buffer) { return context.decodeAudioData(buffer); })
      .then(function (audio) {
        var source = context.createBufferSource();
        source.buffer = audio;
        source.connect(context.destination);
        source.start();
      });
  });

  retakeButton.addEventListener("click", function () {
    blob = null;
    chunks = [];
    startButton.disabled = false;
    playButton.disabled = retakeButton.disabled = sendButton.disabled = true;
    clock.textContent = "0:00";
    say("");
  });

  form.addEventListener("submit", function (event) {
    if (!blob) { event.preventDefault(); return; }
    var files = new DataTransfer();
    files.items.add(new File([blob], "take.webm", {type: blob.type}));
    fileInput.files = files.files;
    sendButton.disabled = startButton.disabled = true;
    say(box.dataset.sending);
  });
});
