# the upload page (web/upload.py) and its link in the WeChat chat
wupload-offer = 📎 上传 PDF 或多张照片：{ $url }（{ $minutes } 分钟内有效，仅可使用一次）
wupload-title = 上传证明材料
wupload-intro = 请选择照片或 PDF 文件（可多选），每份不超过 { $max_mb } MB，最多 { $max } 份。
wupload-submit = 上传
wupload-done = 已收到 { $count } 个文件，请回到公众号继续。
wupload-gone = 此上传链接已失效（已使用或已过期）。请回到公众号，在“证明材料”一步重新获取链接。
wupload-forged = 此上传链接无效。请回到公众号，在“证明材料”一步重新获取链接。
wupload-over = 您的登记已不在上传证明材料这一步。请回到公众号继续。
wupload-try-again = 没有保存任何文件，请重新选择后上传。
wupload-refused-none = 请先选择要上传的文件。
wupload-refused-count = 一次最多上传 { $max } 个文件。
wupload-refused-room = 您选择了 { $count } 个文件，这份登记还能上传 { $room } 个。
wupload-refused-length = 无法读取上传内容，请重新上传。
wupload-refused-file = 文件“{ $name }”：
