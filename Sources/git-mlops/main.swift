import Commands

GitMLOps.run()
