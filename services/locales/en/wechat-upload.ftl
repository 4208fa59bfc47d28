# the upload page (web/upload.py) and its link in the WeChat chat
wupload-offer = 📎 Upload a PDF or several photos: { $url } (valid for { $minutes } minutes, once only)
wupload-title = Upload evidence
wupload-intro = Choose photos or PDF files (several at once if you like), each at most { $max_mb } MB, at most { $max } files.
wupload-submit = Upload
wupload-done = { $count ->
    [one] One file received. Please go back to the official account to continue.
   *[other] { $count } files received. Please go back to the official account to continue.
}
wupload-gone = This upload link no longer works (it was used or has expired). Please go back to the official account and get a new link at the evidence step.
wupload-forged = This upload link is not valid. Please go back to the official account and get a new link at the evidence step.
wupload-over = Your claim is no longer at the evidence step. Please go back to the official account to continue.
wupload-try-again = No file was saved. Please choose the files again and upload.
wupload-refused-none = Please choose the files to upload first.
wupload-refused-count = At most { $max } files at a time.
wupload-refused-room = You chose { $count } files; this claim takes { $room ->
    [one] one more
   *[other] { $room } more
}.
wupload-refused-length = The upload could not be read. Please upload again.
wupload-refused-file = File “{ $name }”:
