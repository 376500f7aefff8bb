from gaoxin.cli import app

app(prog_name="gaoxin")
